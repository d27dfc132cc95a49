"""An API process remembers a valid key for a few seconds; a revoked key stops within them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.known_keys import KnownKeys
from storage.shops import create_api_key, revoke_api_key
from tests.factories import add_shop
from tests.support.api import API_KEY, SHOP
from tests.support.data_keys import dev_cipher


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def revoke(sessions: async_sessionmaker[AsyncSession], key: str) -> None:
    async with sessions() as session:
        await revoke_api_key(session, shop=SHOP, prefix=key[:10])
        await session.commit()


async def test_a_revoked_key_is_refused_once_the_remembered_answer_is_older_than_the_ttl(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    keys = KnownKeys(ttl=10, cipher=dev_cipher(), clock=clock)
    async with session_factory() as session:
        key = await create_api_key(session, shop=SHOP)
        await session.commit()
    assert (await keys.shop_for(session_factory, key)).shop == SHOP  # type: ignore[union-attr]
    await revoke(session_factory, key)

    clock.now += 9
    still_remembered = await keys.shop_for(session_factory, key)
    clock.now += 2
    after_ttl = await keys.shop_for(session_factory, key)

    assert still_remembered is not None and still_remembered.shop == SHOP
    assert after_ttl is None


async def test_an_unknown_key_is_never_remembered(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    keys = KnownKeys(ttl=10, cipher=dev_cipher(), clock=Clock())
    before = await keys.shop_for(session_factory, "cn_made-a-moment-later")
    await add_shop(session_factory, shop="late_shop", key="cn_made-a-moment-later")

    after = await keys.shop_for(session_factory, "cn_made-a-moment-later")

    assert before is None
    assert after is not None and after.shop == "late_shop"  # at once, not after the ttl


async def test_ttl_zero_looks_every_key_up(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    keys = KnownKeys(ttl=0, cipher=dev_cipher(), clock=Clock())
    assert await keys.shop_for(session_factory, API_KEY) is not None
    await revoke(session_factory, API_KEY)

    assert await keys.shop_for(session_factory, API_KEY) is None
