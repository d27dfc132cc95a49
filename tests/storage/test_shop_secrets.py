"""Shops' secrets in the database: ciphertext in every secret column, plaintext in the
ShopProfile, and rotation to a new key (plaintext rows from before encryption included).

The columns are read raw, with SQL, to see what an attacker with the database would see.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data_at_rest.cipher import DataCipher, UnreadableSecret, key_id_of
from storage import shops
from storage.shops import SECRET_COLUMNS
from tests.factories import add_shop
from tests.support.data_keys import fresh_key

K1, K2 = fresh_key("k1"), fresh_key("k2")
SECRETS = {column: f"{column}-plaintext-0123456789" for column in SECRET_COLUMNS}


async def stored(sessions: async_sessionmaker[AsyncSession], shop: str) -> dict[str, Any]:
    """The shop's secret columns as the database holds them."""
    async with sessions() as session:
        row = (
            await session.execute(
                text(f"SELECT {', '.join(SECRET_COLUMNS)} FROM shops WHERE shop = :shop"),
                {"shop": shop},
            )
        ).one()
    return dict(row._mapping)


async def profile(
    sessions: async_sessionmaker[AsyncSession], shop: str, cipher: DataCipher
) -> shops.ShopProfile:
    async with sessions() as session:
        found = await shops.get_shop(session, shop, cipher=cipher)
    assert found is not None
    return found


async def store_plaintext(sessions: async_sessionmaker[AsyncSession], shop: str) -> None:
    """A shop as it was stored before secrets were encrypted."""
    assignments = ", ".join(f"{column} = :{column}" for column in SECRET_COLUMNS)
    async with sessions() as session:
        await session.execute(
            text(f"UPDATE shops SET {assignments} WHERE shop = :shop"), {**SECRETS, "shop": shop}
        )
        await session.commit()


async def rotate(sessions: async_sessionmaker[AsyncSession], cipher: DataCipher) -> shops.Rotation:
    async with sessions() as session:
        done = await shops.reencrypt_secrets(session, cipher=cipher)
        await session.commit()
    return done


async def test_every_secret_is_ciphertext_in_the_database_and_plaintext_in_the_profile(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cipher = DataCipher([K1])
    await add_shop(session_factory, shop="kedi", key=None, cipher=cipher, **SECRETS)

    raw = await stored(session_factory, "kedi")
    read = await profile(session_factory, "kedi", cipher)

    for column, secret in SECRETS.items():
        assert raw[column].startswith("enc:v1:k1:"), column
        assert secret not in raw[column]
        assert getattr(read, column) == secret


async def test_update_encrypts_the_secrets_it_sets_and_leaves_none_as_none(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cipher = DataCipher([K1])
    await add_shop(session_factory, shop="kedi", key=None, cipher=cipher)
    async with session_factory() as session:
        await shops.update_shop(
            session, shop="kedi", changes={"catalog_token": "cat-token"}, cipher=cipher
        )
        await session.commit()

    raw = await stored(session_factory, "kedi")

    assert key_id_of(raw["catalog_token"]) == "k1"
    assert raw["shopify_secret"] is None
    assert (await profile(session_factory, "kedi", cipher)).catalog_token == "cat-token"


async def test_a_secret_moved_to_another_column_or_shop_in_the_database_is_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cipher = DataCipher([K1])
    await add_shop(session_factory, shop="kedi", key=None, cipher=cipher, **SECRETS)
    await add_shop(session_factory, shop="kopek", key=None, cipher=cipher, **SECRETS)
    async with session_factory() as session:
        await session.execute(
            text("UPDATE shops SET catalog_token = shopify_admin_token WHERE shop = 'kedi'")
        )
        await session.execute(
            text(
                "UPDATE shops SET order_lookup_token ="
                " (SELECT order_lookup_token FROM shops WHERE shop = 'kedi') WHERE shop = 'kopek'"
            )
        )
        await session.commit()

    with pytest.raises(UnreadableSecret, match="shops 'kedi': catalog_token"):
        await profile(session_factory, "kedi", cipher)
    with pytest.raises(UnreadableSecret, match="shops 'kopek': order_lookup_token"):
        await profile(session_factory, "kopek", cipher)


async def test_rotation_moves_every_secret_to_the_new_key_and_the_old_key_can_go(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_shop(session_factory, shop="kedi", key=None, cipher=DataCipher([K1]), **SECRETS)
    await add_shop(
        session_factory, shop="kopek", key=None, cipher=DataCipher([K1]), catalog_token="c"
    )
    await add_shop(session_factory, shop="bare", key=None)
    both = DataCipher([K2, K1])  # the new key first, the old one still listed

    done = await rotate(session_factory, both)

    assert done == shops.Rotation(
        secrets=len(SECRETS) + 1, shops=2, plaintext=0, left_under_old_keys=0
    )
    assert {key_id_of(v) for v in (await stored(session_factory, "kedi")).values()} == {"k2"}
    only_new = DataCipher([K2])
    read = await profile(session_factory, "kedi", only_new)
    assert {column: getattr(read, column) for column in SECRET_COLUMNS} == SECRETS
    assert (await profile(session_factory, "kopek", only_new)).catalog_token == "c"
    again = await rotate(session_factory, only_new)
    assert (again.secrets, again.left_under_old_keys) == (0, 0)


async def test_plaintext_rows_from_before_encryption_are_read_then_encrypted_by_rotation(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cipher = DataCipher([K1])
    await add_shop(session_factory, shop="kedi", key=None)
    await store_plaintext(session_factory, "kedi")

    before = await profile(session_factory, "kedi", cipher)
    done = await rotate(session_factory, cipher)
    raw = await stored(session_factory, "kedi")

    assert before.order_lookup_token == SECRETS["order_lookup_token"]
    assert done == shops.Rotation(
        secrets=len(SECRETS), shops=1, plaintext=len(SECRETS), left_under_old_keys=0
    )
    assert all(value.startswith("enc:v1:k1:") for value in raw.values())
    read = await profile(session_factory, "kedi", cipher)
    assert {column: getattr(read, column) for column in SECRET_COLUMNS} == SECRETS


async def test_rotation_that_meets_an_unreadable_secret_changes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_shop(session_factory, shop="a_shop", key=None)
    await store_plaintext(session_factory, "a_shop")  # first in order: would be rotated first
    await add_shop(session_factory, shop="b_shop", key=None, cipher=DataCipher([K1]), **SECRETS)
    before = await stored(session_factory, "a_shop")

    with pytest.raises(UnreadableSecret, match="shops 'b_shop'.*key 'k1', which is not listed"):
        async with session_factory() as session:
            await shops.reencrypt_secrets(session, cipher=DataCipher([K2]))

    assert await stored(session_factory, "a_shop") == before


async def test_a_summary_says_which_secrets_a_shop_holds_without_decrypting_them(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    unlisted = DataCipher([fresh_key("gone")])
    await add_shop(
        session_factory,
        shop="kedi",
        key=None,
        cipher=unlisted,
        shopify_secret="s",
        catalog_token="c",
    )

    async with session_factory() as session:
        summary = await shops.shop_summary(session, "kedi")
        listed = await shops.list_shops(session)

    assert summary is not None and summary.secrets == {"shopify_secret", "catalog_token"}
    assert [s.shop for s in listed] == ["kedi"]
