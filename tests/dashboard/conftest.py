"""The dashboard in-process, on the session's PostgreSQL, with Temporal out of reach (its
pages never call it) and the reports a test builds by hand.

Fixtures:
    settings   test settings
    shops      (autouse) the shops SHOP and OTHER_SHOP, in the database
    reports    the FakeReports the pages read (empty until a test adds a report)
    app        the app, lifespan run, cheap password hashing, `reports` as its source
    browser_client   an httpx client keeping cookies like a browser; not logged in
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.dashboard.source import get_report_source
from settings import Settings
from tests.factories import add_shop
from tests.support.api import SHOP, app_without_temporal, http_client
from tests.support.dashboard import FakeReports, use_cheap_passwords
from tests.support.temporal import settings_for_tests

OTHER_SHOP = "other_shop"


@pytest.fixture
def settings() -> Settings:
    return settings_for_tests()


@pytest.fixture(autouse=True)
async def shops(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    for shop in (SHOP, OTHER_SHOP):
        await add_shop(session_factory, shop=shop, key=None)
    return [SHOP, OTHER_SHOP]


@pytest.fixture
def reports() -> FakeReports:
    return FakeReports()


@pytest.fixture
async def app(
    settings: Settings, db_engine: AsyncEngine, reports: FakeReports
) -> AsyncIterator[FastAPI]:
    async with app_without_temporal(settings, db_engine) as app:
        use_cheap_passwords(app)
        app.dependency_overrides[get_report_source] = lambda: reports
        yield app


@pytest.fixture
async def browser_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client
