"""An optional consent registry asked before commercial email and SMS (Turkey's İYS).

cartnudge POSTs `{"shop", "channel", "recipient"}` to the configured URL (Bearer token when
set) and expects `{"allowed": true|false}`; a shop's adapter in front of İYS (or another
registry) answers in that shape. Answers are cached per address for a configurable time
(storage/registry_answers.py); no database connection is held while the registry is asked.
A registry that can not be asked is a transient failure: the message waits, it is never
sent unchecked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.errors import TransientChannelError
from storage.addresses import normalize_address
from storage.registry_answers import cached_answer, store_answer
from workflows.payloads import Channel

# Commercial email and SMS are registered; push and webhooks are not.
CHECKED_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})


class ConsentRegistry:
    def __init__(
        self,
        *,
        url: str,
        token: str | None,
        client: httpx.AsyncClient,
        session_factory: async_sessionmaker[AsyncSession],
        cache_for: timedelta,
    ) -> None:
        self._url = url
        self._token = token
        self._client = client
        self._sessions = session_factory
        self._cache_for = cache_for

    async def allows(self, *, shop: str, channel: Channel, address: str, now: datetime) -> bool:
        """Whether the registry lets this shop send commercial messages to the address."""
        if channel not in CHECKED_CHANNELS:
            return True
        address = normalize_address(channel, address)
        where = {"shop": shop, "channel": channel.value, "address": address}
        async with self._sessions() as session:
            cached = await cached_answer(session, **where, since=now - self._cache_for)
        if cached is not None:
            return cached
        # The session is closed: no pooled connection waits on the registry's server.
        allowed = await self._ask(shop, channel, address)
        async with self._sessions() as session:
            await store_answer(session, **where, allowed=allowed, at=now)
            await session.commit()
        return allowed

    async def _ask(self, shop: str, channel: Channel, address: str) -> bool:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = await self._client.post(
                self._url,
                json={"shop": shop, "channel": channel.value, "recipient": address},
                headers=headers,
            )
            response.raise_for_status()
            allowed = response.json()["allowed"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as err:
            raise TransientChannelError(f"consent registry {self._url}: {err}") from err
        if not isinstance(allowed, bool):
            raise TransientChannelError(f"consent registry {self._url}: 'allowed' is not a bool")
        return allowed
