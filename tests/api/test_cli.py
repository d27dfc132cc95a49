"""`cartnudge shops ...` and `cartnudge keys ...`: an operator sets up a shop and its keys."""

from __future__ import annotations

import io

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from settings import Settings
from storage.models import ApiKey, Shop
from storage.shops import get_shop
from tests.factories import add_shop
from tests.support.api import cart_body
from tests.support.data_keys import dev_cipher
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
