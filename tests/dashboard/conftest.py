"""The dashboard in-process, on the session's PostgreSQL, with Temporal out of reach (its
pages never call it).

Fixtures:
    settings   test settings
    shops      (autouse) the shops SHOP and OTHER_SHOP, in the database
    app        the app, lifespan run, cheap password hashing; reports built from the database
    reports    FakeReports the app's pages read instead (empty until a test adds a report)
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
async def app(settings: Settings, db_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with app_without_temporal(settings, db_engine) as app:
        use_cheap_passwords(app)
        yield app


@pytest.fixture
def reports(app: FastAPI) -> FakeReports:
    fake = FakeReports()
    app.dependency_overrides[get_report_source] = lambda: fake
    return fake


@pytest.fixture
async def browser_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client
