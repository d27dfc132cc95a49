"""What is live, since when and by whom, and how many carts are on each release."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from releases.activation import scope_name
from releases.split import describe, from_rows
from storage import activations, releases
from storage.activations import StoredActivation
from storage.releases import StoredRelease
from workflows.client import TemporalUnavailable

# release id -> carts running on it; raises when Temporal can not be asked
CountInFlight = Callable[[str], Awaitable[int]]


@dataclass(frozen=True)
class JourneyStatusReport:
    journey: str
    live: list[StoredActivation]  # deployment-wide first, then per shop
    published: list[StoredRelease]
    in_flight: dict[str, int] | None  # release id -> running carts; None: Temporal unknown
    in_flight_problem: str | None = None

    def lines(self) -> list[str]:
        out = [self.journey]
        if not self.live:
            out.append(
                f"  not live: no activation (cartnudge journeys activate {self.journey} VERSION)"
            )
        for activation in self.live:
            scope = f"shop {activation.shop}" if activation.shop else "live"
            out.append(
                f"  {scope}: {describe(from_rows(activation.split))}"
                f"  since {_when(activation.activated_at)} by {activation.activated_by}"
                f" ({activation.action})"
            )
        for release in self.published:
            carts = self._carts_on(release.id)
            out.append(
                f"  v{release.version}  release {release.id[:12]}  published "
                f"{_when(release.published_at)} by {release.published_by}  {carts}"
            )
        return out

    def _carts_on(self, release_id: str) -> str:
        if self.in_flight is None:
            return f"carts in flight: unknown ({self.in_flight_problem})"
        return f"carts in flight: {self.in_flight.get(release_id, 0):,}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


async def journey_status(
    session: AsyncSession, count_in_flight: CountInFlight | None, unreachable: str | None = None
) -> list[JourneyStatusReport]:
    """Every journey with a published release; counts from Temporal when it answers
    (`count_in_flight` None: Temporal could not be reached, `unreachable` says why)."""
    published = await releases.releases_of(session)
    live = await activations.live_activations(session)
    journeys = sorted({release.journey for release in published} | {a.journey for a in live})
    in_flight: dict[str, int] | None = None
    problem = unreachable
    if count_in_flight is not None:
        try:
            in_flight = {release.id: await count_in_flight(release.id) for release in published}
        except TemporalUnavailable as err:  # the database's part is still worth showing
            problem = f"Temporal did not answer: {err}"
    return [
        JourneyStatusReport(
            journey,
            sorted(
                (a for a in live if a.journey == journey),
                key=lambda a: (a.shop is not None, a.shop or ""),
            ),
            [release for release in published if release.journey == journey],
            in_flight,
            problem,
        )
        for journey in journeys
    ]


async def activation_log(session: AsyncSession, journey: str | None) -> list[str]:
    """Every activation change (of one journey), oldest first: the audit trail, as lines."""
    lines = []
    for row in await activations.activation_history(session, journey):
        restored = f" (back to #{row.restores_id})" if row.restores_id else ""
        lines.append(
            f"#{row.id}  {_when(row.activated_at)}  {row.activated_by}  {row.action}{restored}"
            f"  {scope_name(row.journey, row.shop)}: {describe(from_rows(row.split))}"
        )
    return lines
