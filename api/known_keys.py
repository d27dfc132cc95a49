"""API keys this process has seen lately, so a request does not look its key up every time.

Every /v1 request needs its shop. Looking the key up is a query per request; remembering a
found key for `ttl` seconds saves it on all but the first. The price: a revoked key (or a
changed shop profile) takes up to `ttl` seconds to reach every API process. Unknown keys are
never remembered, so a key created a moment ago works at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data_at_rest.cipher import DataCipher
from storage.shops import ShopProfile, key_digest, shop_for_key

MAX_REMEMBERED = 10_000  # keys; a deployment has far fewer, so this only bounds memory


class KnownKeys:
    def __init__(
        self, ttl: float, *, cipher: DataCipher, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._cipher = cipher
        self._clock = clock
        self._found: dict[str, tuple[float, ShopProfile]] = {}

    async def shop_for(
        self, sessions: async_sessionmaker[AsyncSession], key: str
    ) -> ShopProfile | None:
        """The shop of an unrevoked key; None for any other key. A key remembered needs no
        database; a look-up runs in a session of its own, closed before the route runs."""
        digest = key_digest(key)
        now = self._clock()
        remembered = self._found.get(digest)
        if remembered is not None and now - remembered[0] < self._ttl:
            return remembered[1]
        async with sessions() as session:
            shop = await shop_for_key(session, key, cipher=self._cipher)
        if shop is None:
            self._found.pop(digest, None)
        elif self._ttl > 0:
            if len(self._found) >= MAX_REMEMBERED:
                self._found.clear()
            self._found[digest] = (now, shop)
        return shop
