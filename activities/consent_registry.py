"""An optional consent registry asked before commercial email and SMS (Turkey's İYS).

cartnudge POSTs `{"shop", "channel", "recipient"}` to the configured URL (Bearer token when
set) and expects `{"allowed": true|false}`; a shop's adapter in front of İYS (or another
registry) answers in that shape. Answers are cached per address for a configurable time.
A registry that can not be asked is a transient failure: the message waits, it is never
sent unchecked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.errors import TransientChannelError
from storage.addresses import normalize_address
from storage.inserts import insert
from storage.models import RegistryAnswer

CHECKED_CHANNELS = frozenset({"email", "sms"})


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

    async def allows(self, *, shop: str, channel: str, address: str, now: datetime) -> bool:
        """Whether the registry lets this shop send commercial messages to the address."""
        if channel not in CHECKED_CHANNELS:
            return True
        address = normalize_address(channel, address)
        async with self._sessions() as session:
            cached = (
                await session.execute(
                    select(RegistryAnswer.allowed, RegistryAnswer.checked_at).where(
                        RegistryAnswer.shop == shop,
                        RegistryAnswer.channel == channel,
                        RegistryAnswer.address == address,
                    )
                )
            ).one_or_none()
            if cached is not None and cached.checked_at > now - self._cache_for:
                return bool(cached.allowed)
            allowed = await self._ask(shop, channel, address)
            statement = insert(session, RegistryAnswer).values(
                shop=shop, channel=channel, address=address, allowed=allowed, checked_at=now
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["shop", "channel", "address"],
                    set_={"allowed": allowed, "checked_at": now},
                )
            )
            await session.commit()
        return allowed

    async def _ask(self, shop: str, channel: str, address: str) -> bool:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = await self._client.post(
                self._url,
                json={"shop": shop, "channel": channel, "recipient": address},
                headers=headers,
            )
            response.raise_for_status()
            allowed = response.json()["allowed"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as err:
            raise TransientChannelError(f"consent registry {self._url}: {err}") from err
        if not isinstance(allowed, bool):
            raise TransientChannelError(f"consent registry {self._url}: 'allowed' is not a bool")
        return allowed
