"""Where the pages get their numbers: reports/journey_report.py on the app's database.

A dependency, so the page tests can hand the pages a report they built by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, SettingsDep
from reports.journey_report import journey_report, journeys_of
from reports.model import JourneyReport
from settings import Settings


class ReportSource(Protocol):
    async def journeys(self, shops: Sequence[str]) -> list[str]:
        """The journeys with carts in these shops."""
        ...

    async def report(self, *, shop: str, journey: str, since: datetime | None) -> JourneyReport:
        """The journey's report for one shop, from `since` (all time when None)."""
        ...


class DatabaseReports:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def journeys(self, shops: Sequence[str]) -> list[str]:
        return await journeys_of(self._sessions, shops)

    async def report(self, *, shop: str, journey: str, since: datetime | None) -> JourneyReport:
        return await journey_report(
            self._sessions, journey=journey, shops=[shop], since=since, settings=self._settings
        )


async def get_report_source(sessions: SessionsDep, settings: SettingsDep) -> ReportSource:
    return DatabaseReports(sessions, settings)
