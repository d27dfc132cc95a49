"""The releases a worker serves: read from the database by id, kept in memory for good.

A release never changes, so the cache is always right and never expires. What is live
(the activations and the shops each journey serves) can change at any time; it is read at
most every `refresh_every` (5 s by default), so an activation reaches every worker within
that, without a query per cart.

Which journey serves a shop: the journey that lists the shop under `shops:`, once that
journey has an activation (for the shop or deployment-wide); otherwise the default journey.
Which release: the shop's activation of that journey, else the deployment-wide one,
and within a split the share the cart's hash (shop, cart id) falls in.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.errors import JourneyNotFound
from journey_schema.release import Release, from_content
from releases.assignment import pick
from releases.split import Split, from_rows
from storage import activations, releases


@dataclass(frozen=True)
class LiveTable:
    """Every live activation and shop route, as read at one moment."""

    splits: dict[tuple[str, str | None], Split]  # (journey, shop or None) -> split
    routes: dict[str, str]  # shop -> journey, from `shops:`

    def journey_for(self, shop: str, default_journey: str) -> str:
        routed = self.routes.get(shop)
        if routed is not None and self.split_for(routed, shop):
            return routed
        return default_journey

    def split_for(self, journey: str, shop: str) -> Split:
        return self.splits.get((journey, shop)) or self.splits.get((journey, None)) or ()


async def read_live_table(session: AsyncSession) -> LiveTable:
    splits = {
        (row.journey, row.shop): from_rows(row.split)
        for row in await activations.live_activations(session)
    }
    return LiveTable(splits, await releases.journey_shops(session))


def choose_share(table: LiveTable, shop: str, cart_id: str, default_journey: str) -> str:
    """The release id a cart of `shop` gets now; JourneyNotFound if its journey is not live."""
    journey = table.journey_for(shop, default_journey)
    split = table.split_for(journey, shop)
    if not split:
        raise JourneyNotFound(
            f"journey {journey!r} (serving shop {shop!r}) has no activation: "
            f"run `cartnudge journeys activate {journey} VERSION`"
        )
    return pick((shop, cart_id), [(share.release_id, share.weight) for share in split])


class LiveReleases:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        default_journey: str,
        refresh_every: timedelta = timedelta(seconds=5),
    ) -> None:
        self._sessions = session_factory
        self._default_journey = default_journey
        self._refresh_every = refresh_every.total_seconds()
        self._releases: dict[str, Release] = {}
        self._table: LiveTable | None = None
        self._table_read_at = 0.0
        self._lock = asyncio.Lock()

    async def release(self, release_id: str) -> Release:
        cached = self._releases.get(release_id)
        if cached is not None:
            return cached
        async with self._sessions() as session:
            stored = await releases.release_by_id(session, release_id)
        if stored is None:
            raise JourneyNotFound(f"there is no published release {release_id[:12]}")
        release = from_content(stored.content)
        if release.id != release_id:
            raise JourneyNotFound(
                f"release {release_id[:12]} does not match its stored content "
                f"(hashes to {release.id[:12]}): the row was altered"
            )
        self._releases[release_id] = release
        return release

    async def choose(self, shop: str, cart_id: str) -> Release:
        table = await self._live_table()
        return await self.release(choose_share(table, shop, cart_id, self._default_journey))

    async def _live_table(self) -> LiveTable:
        async with self._lock:  # one read per refresh, however many carts ask at once
            stale = time.monotonic() - self._table_read_at >= self._refresh_every
            if self._table is None or stale:
                async with self._sessions() as session:
                    self._table = await read_live_table(session)
                self._table_read_at = time.monotonic()
            return self._table
