"""The shop a platform webhook is for, before its signature can be checked.

Each look-up runs in a short session of its own, closed before the event is taken. A
secret the cipher can not decrypt raises data_at_rest.cipher.UnreadableSecret (the API
answers 503).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data_at_rest.cipher import DataCipher
from storage.shops import ShopProfile, get_shop, shop_for_shopify_domain


async def shop_named(
    shop: str, *, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher
) -> ShopProfile | None:
    async with sessions() as session:
        return await get_shop(session, shop, cipher=cipher)


async def shop_of_shopify_domain(
    domain: str, *, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher
) -> ShopProfile | None:
    async with sessions() as session:
        return await shop_for_shopify_domain(session, domain, cipher=cipher)
