"""`cartnudge shops ...` and `cartnudge keys ...`: an operator sets up a shop and its keys."""

from __future__ import annotations

import io

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from data_at_rest.cipher import DataCipher
from settings import Settings
from storage.models import ApiKey, Shop
from storage.shops import get_shop
from tests.factories import add_shop
from tests.support.api import cart_body
from tests.support.data_keys import dev_cipher, fresh_key
from tests.support.tables import rows


@pytest.fixture
def cli_settings(settings: Settings, database_url: str) -> Settings:
    """The CLI reads CARTNUDGE_DATABASE_URL: here, the test session's database."""
    return settings.model_copy(update={"database_url": database_url})


async def cartnudge(settings: Settings, *argv: str, stdin: str = "") -> str:
    out = io.StringIO()
    await run(argv, settings=settings, out=out, stdin=io.StringIO(stdin))
    return out.getvalue()


async def test_a_shop_made_with_the_cli_takes_carts_with_its_new_key(
    cli_settings: Settings,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await cartnudge(
        cli_settings, "shops", "create", "acme", "--name", "Acme", "--timezone", "Europe/Berlin",
        "--locale", "de-DE", "--currency", "eur", "--email-from", "Acme <hi@acme.test>",
    )  # fmt: skip
    key = (await cartnudge(cli_settings, "keys", "create", "acme", "--label", "backend")).strip()

    response = await anonymous.put(
        "/v1/carts/abc", json=cart_body(shop="acme"), headers={"Authorization": f"Bearer {key}"}
    )

    assert response.status_code == 202, response.text
    [shop] = [s for s in await rows(session_factory, Shop) if s.shop == "acme"]
    assert (shop.timezone, shop.locale, shop.currency, shop.email_from) == (
        "Europe/Berlin",
        "de-DE",
        "EUR",
        "Acme <hi@acme.test>",
    )
    [stored] = [k for k in await rows(session_factory, ApiKey) if k.shop == "acme"]
    assert key not in (stored.digest, stored.prefix)  # only the hash is kept
    assert key.startswith(stored.prefix) and stored.label == "backend"


async def test_a_revoked_key_is_listed_as_revoked_and_refused(
    cli_settings: Settings, anonymous: httpx.AsyncClient
) -> None:
    key = (await cartnudge(cli_settings, "keys", "create", "demo_shop")).strip()
    other = (await cartnudge(cli_settings, "keys", "create", "demo_shop")).strip()

    said = await cartnudge(cli_settings, "keys", "revoke", "demo_shop", key[:10])
    listing = await cartnudge(cli_settings, "keys", "list", "demo_shop")
    response = await anonymous.put(
        "/v1/carts/abc", json=cart_body(), headers={"Authorization": f"Bearer {key}"}
    )

    assert said == "revoked 1 key(s)\n"
    assert f"{key[:10]}…" in listing and "revoked" in listing
    assert response.status_code == 401
    still = await anonymous.put(
        "/v1/carts/abc", json=cart_body(), headers={"Authorization": f"Bearer {other}"}
    )
    assert still.status_code == 202  # only the named key is gone


async def test_a_shopify_shop_gets_its_id_from_the_domain_and_its_secret_from_stdin(
    cli_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await cartnudge(
        cli_settings, "shops", "create", "--shopify-domain", "Cool-Shop.myshopify.com",
        "--shopify-secret", "-", "--timezone", "UTC", "--locale", "en", "--currency", "USD",
        stdin="shpss_secret\n",
    )  # fmt: skip

    listing = await cartnudge(cli_settings, "shops", "list")

    async with session_factory() as session:
        shop = await get_shop(session, "cool_shop", cipher=dev_cipher())
    assert shop is not None
    assert (shop.shopify_domain, shop.shopify_secret) == ("cool-shop.myshopify.com", "shpss_secret")
    assert "cool_shop" in listing and "shopify cool-shop.myshopify.com" in listing
    assert "shpss_secret" not in listing


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["shops", "create", "a-b", "--timezone", "UTC", "--locale", "en", "--currency", "USD"],
         "shop id 'a-b'"),
        (["shops", "create", "x", "--timezone", "Mars/Base", "--locale", "en",
          "--currency", "USD"], "--timezone: unknown timezone 'Mars/Base'"),
        (["shops", "create", "x", "--locale", "en"], "a new shop needs --timezone, --currency"),
        (["shops", "create", "demo_shop", "--timezone", "UTC", "--locale", "en",
          "--currency", "USD"], "shop 'demo_shop' exists"),
        (["shops", "update", "nope", "--name", "N"], "no shop 'nope'"),
        (["keys", "create", "nope"], "no shop 'nope'"),
        (["keys", "revoke", "demo_shop", "cn_zzzzzzz"], "no active key"),
        (["keys", "revoke", "demo_shop", "cn_"], "too short to name one key"),
        (["shops", "update", "demo_shop", "--shopify-domain", "kedi.myshopify.com"],
         "kedi.myshopify.com already belongs to shop 'kedi'"),
        (["shops", "update", "demo_shop", "--shopify-domain", "shop.example.com"],
         r"not a \*\.myshopify\.com domain"),
    ],
)  # fmt: skip
async def test_a_mistake_is_named_and_changes_nothing(
    cli_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    argv: list[str],
    problem: str,
) -> None:
    await add_shop(session_factory, shop="kedi", key=None, shopify_domain="kedi.myshopify.com")

    async def everything() -> list[tuple[object, ...]]:
        shops = [(s.shop, s.shopify_domain) for s in await rows(session_factory, Shop)]
        keys = [(k.shop, k.prefix, k.revoked_at) for k in await rows(session_factory, ApiKey)]
        return sorted(shops, key=str) + sorted(keys, key=str)

    before = await everything()

    with pytest.raises(CommandError, match=problem):
        await cartnudge(cli_settings, *argv)

    assert await everything() == before


# --- coupon and catalog integrations, and their credentials ----------------------------------


async def shop_row(sessions: async_sessionmaker[AsyncSession], shop: str) -> Shop:
    [row] = [s for s in await rows(sessions, Shop) if s.shop == shop]
    return row


async def test_a_shopify_coupon_source_is_set_with_its_admin_token_from_stdin_stored_encrypted(
    cli_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="kedi", key=None, shopify_domain="kedi.myshopify.com")

    said = await cartnudge(
        cli_settings, "shops", "update", "kedi", "--coupon-source", "Shopify",
        "--catalog-source", "endpoint", "--catalog-url", "https://kedi.example/catalog",
        "--shopify-admin-token", "-", "--catalog-token", "-",
        stdin="shpat_admin\ncat_token\n",
    )  # fmt: skip
    listing = await cartnudge(cli_settings, "shops", "list")

    row = await shop_row(session_factory, "kedi")
    assert row.shopify_admin_token is not None and row.shopify_admin_token.startswith("enc:v1:")
    async with session_factory() as session:
        shop = await get_shop(session, "kedi", cipher=dev_cipher())
    assert shop is not None
    assert (shop.coupon_source, shop.catalog_source) == ("shopify", "endpoint")
    assert (shop.shopify_admin_token, shop.catalog_token) == ("shpat_admin", "cat_token")
    assert "shpat_admin" not in said and "catalog_token" in said
    assert "coupons from shopify" in listing and "catalog from endpoint" in listing
    assert "shpat_admin" not in listing and "cat_token" not in listing


async def test_woocommerce_coupons_may_take_credentials_given_earlier(
    cli_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await cartnudge(
        cli_settings, "shops", "update", "demo_shop", "--woocommerce-url", "https://kahve.example",
        "--woocommerce-consumer-key", "ck_1", "--woocommerce-consumer-secret", "cs_1",
    )  # fmt: skip
    await cartnudge(cli_settings, "shops", "update", "demo_shop", "--coupon-source", "woocommerce")

    async with session_factory() as session:
        shop = await get_shop(session, "demo_shop", cipher=dev_cipher())
    assert shop is not None
    assert (shop.coupon_source, shop.woocommerce_consumer_key) == ("woocommerce", "ck_1")


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--coupon-source", "shopfy"],
         "--coupon-source: unknown source 'shopfy'; did you mean 'shopify'?"),
        (["--catalog-source", "pool"],
         "--catalog-source: unknown source 'pool' \\(one of shopify, woocommerce, endpoint\\)"),
        (["--coupon-source", "shopify"],
         "--coupon-source shopify needs --shopify-domain and --shopify-admin-token as well"),
        (["--coupon-source", "shopify", "--shopify-domain", "kedi2.myshopify.com"],
         "--coupon-source shopify needs --shopify-admin-token as well"),
        (["--coupon-source", "woocommerce", "--woocommerce-url", "https://k.example"],
         "needs --woocommerce-consumer-key and --woocommerce-consumer-secret as well"),
        (["--catalog-source", "endpoint", "--catalog-url", ""],
         "--catalog-source endpoint needs --catalog-url as well"),
        (["--catalog-source", "endpoint", "--catalog-url", "ftp://x"],
         "--catalog-url: 'ftp://x' is not an http\\(s\\) URL"),
        (["--catalog-url", ""],
         "--catalog-url: can not be cleared while the shop's --catalog-source is endpoint"),
        (["--catalog-token", "-"], "--catalog-token: nothing on standard input"),
    ],
)  # fmt: skip
async def test_an_integration_without_what_it_needs_is_refused_in_words(
    cli_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    argv: list[str],
    problem: str,
) -> None:
    await add_shop(
        session_factory,
        shop="kedi",
        key=None,
        catalog_source="endpoint",
        catalog_url="https://kedi.example/catalog",
    )
    before = await shop_row(session_factory, "kedi")

    with pytest.raises(CommandError, match=problem):
        await cartnudge(cli_settings, "shops", "update", "kedi", *argv)

    after = await shop_row(session_factory, "kedi")
    assert (after.coupon_source, after.catalog_source, after.catalog_url, after.shopify_domain) == (
        before.coupon_source,
        before.catalog_source,
        before.catalog_url,
        before.shopify_domain,
    )


async def test_a_new_shop_is_checked_the_same_way(cli_settings: Settings) -> None:
    with pytest.raises(CommandError, match="--catalog-source shopify needs --shopify-domain"):
        await cartnudge(
            cli_settings, "shops", "create", "yeni", "--timezone", "UTC", "--locale", "en",
            "--currency", "USD", "--catalog-source", "shopify", "--shopify-admin-token", "t",
        )  # fmt: skip


async def test_rotate_encrypts_plaintext_rows_and_old_keys_with_the_first_key_and_counts(
    cli_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    old, new = fresh_key("k1"), fresh_key("k2")
    await add_shop(
        session_factory, shop="kedi", key=None, cipher=DataCipher([old]),
        shopify_secret="s1", catalog_token="c1",
    )  # fmt: skip
    await add_shop(session_factory, shop="kopek", key=None)
    async with session_factory() as session:  # stored before secrets were encrypted
        await session.execute(
            text("UPDATE shops SET order_lookup_token = 'plain' WHERE shop = 'kopek'")
        )
        await session.commit()
    rotating = cli_settings.model_copy(update={"data_at_rest_keys": [new, old]})

    said = await cartnudge(rotating, "secrets", "rotate")
    again = await cartnudge(rotating, "secrets", "rotate")

    assert said == (
        "re-encrypted 3 secrets of 2 shops with key 'k2', 1 of them stored in plaintext;"
        " 0 left under old keys\n"
    )
    assert again == "re-encrypted 0 secrets of 0 shops with key 'k2'; 0 left under old keys\n"
    kopek = await shop_row(session_factory, "kopek")
    assert kopek.order_lookup_token is not None and kopek.order_lookup_token.startswith(
        "enc:v1:k2:"
    )
    async with session_factory() as session:
        shop = await get_shop(session, "kedi", cipher=DataCipher([new]))
    assert shop is not None and (shop.shopify_secret, shop.catalog_token) == ("s1", "c1")


async def test_rotate_without_the_old_key_says_which_shop_and_field_and_changes_nothing(
    cli_settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(
        session_factory, shop="kedi", key=None, cipher=DataCipher([fresh_key("k1")]),
        catalog_token="c1",
    )  # fmt: skip
    before = (await shop_row(session_factory, "kedi")).catalog_token
    only_new = cli_settings.model_copy(update={"data_at_rest_keys": [fresh_key("k2")]})

    with pytest.raises(CommandError, match="shops 'kedi': catalog_token .* nothing was"):
        await cartnudge(only_new, "secrets", "rotate")

    assert (await shop_row(session_factory, "kedi")).catalog_token == before


async def test_new_key_prints_a_key_the_settings_take(cli_settings: Settings) -> None:
    key = (await cartnudge(cli_settings, "secrets", "new-key")).strip()

    assert Settings(data_at_rest_keys=[{"id": "k1", "key": key}]).data_at_rest_keys[0].id == "k1"
    assert key != (await cartnudge(cli_settings, "secrets", "new-key")).strip()
