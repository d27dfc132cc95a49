"""The dashboard under test: its users, a browser-like client logging in through the form,
and a report source the page tests fill with hand-built reports.

tests/dashboard/conftest.py builds the fixtures from these.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.passwords import Passwords
from api.dashboard.auth import Dashboard
from reports.model import JourneyReport
from storage import dashboard_users
from storage.dashboard_users import DashboardAccount

PASSWORD = "correct horse battery staple"
# argon2's cheapest parameters: a test logs in in milliseconds, not the product's ~0.4 s.
CHEAP_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def use_cheap_passwords(app: FastAPI) -> None:
    dashboard: Dashboard = app.state.dashboard
    app.state.dashboard = dataclasses.replace(dashboard, passwords=CHEAP_PASSWORDS)


async def add_dashboard_user(
    sessions: async_sessionmaker[AsyncSession],
    *,
    email: str,
    shops: Sequence[str],
    password: str = PASSWORD,
    passwords: Passwords = CHEAP_PASSWORDS,
    disabled: bool = False,
) -> DashboardAccount:
    async with sessions() as session:
        account = await dashboard_users.create_user(
            session, email=email, password_hash=await passwords.hash(password), shops=shops
        )
        if disabled:
            account = await dashboard_users.disable_user(session, email=email)
        await session.commit()
    return account


def csrf_token_in(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, f"no csrf_token field in the page:\n{html[:2000]}"
    return found.group(1)


async def log_in(
    client: httpx.AsyncClient, *, email: str, password: str = PASSWORD
) -> httpx.Response:
    """Open the login page and send its form, as a browser would (cookies kept)."""
    page = await client.get("/dashboard/login")
    assert page.status_code == 200, page.text
    return await client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_token_in(page.text)},
    )


@dataclass
class FakeReports:
    """api.dashboard.source.ReportSource over reports a test built by hand."""

    reports: dict[tuple[str, str], JourneyReport] = field(default_factory=dict)
    asked: list[tuple[str, str, datetime | None]] = field(default_factory=list)

    def add(self, shop: str, report: JourneyReport) -> None:
        self.reports[(shop, report.journey)] = report

    async def journeys(self, shops: Sequence[str]) -> list[str]:
        return sorted({journey for shop, journey in self.reports if shop in shops})

    async def report(self, *, shop: str, journey: str, since: datetime | None) -> JourneyReport:
        self.asked.append((shop, journey, since))
        return self.reports[(shop, journey)]
