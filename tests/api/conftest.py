"""The API in-process over httpx, on the session's PostgreSQL and a time-skipping Temporal.

Fixtures:
    settings  test settings (a fresh task queue); a module or test changes some with
              `pytest.mark.settings(name=value, ...)`, the closest mark winning
    shop      (autouse) the shop SHOP with the API key API_KEY, in the database
    app       the FastAPI app with the test's Temporal client and database engine
    api       an httpx.AsyncClient on it, lifespan run, carrying the API key
    anonymous the same without the API key
    api_without_temporal, anonymous_without_temporal   the same while Temporal is down
    run_id    the cart CART's journey, started through `api`: its run id
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.factories import add_shop
from tests.support.api import API_KEY, SHOP, client_without_temporal, http_client, running_cart
from tests.support.temporal import settings_for_tests


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    overrides: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers("settings"))):  # farthest first
        overrides.update(mark.kwargs)
    return settings_for_tests(**overrides)


@pytest.fixture(autouse=True)
async def shop(session_factory: async_sessionmaker[AsyncSession]) -> str:
    """The shop SHOP, whose API key is API_KEY; every API test has it."""
    await add_shop(session_factory, shop=SHOP, key=API_KEY)
    return SHOP


@pytest.fixture
async def app(
    settings: Settings, temporal_env: WorkflowEnvironment, db_engine: AsyncEngine
) -> AsyncIterator[FastAPI]:
    app = create_app(settings, temporal_client=temporal_env.client, engine=db_engine)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, Authorization=f"Bearer {API_KEY}") as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


@pytest.fixture
async def api_without_temporal(
    settings: Settings, db_engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """Like `api`, on an app whose Temporal is unreachable."""
    async with client_without_temporal(
        settings, db_engine, Authorization=f"Bearer {API_KEY}"
    ) as client:
        yield client


@pytest.fixture
async def anonymous_without_temporal(
    settings: Settings, db_engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """Like `anonymous`, on an app whose Temporal is unreachable."""
    async with client_without_temporal(settings, db_engine) as client:
        yield client


@pytest.fixture
async def run_id(api: httpx.AsyncClient, temporal_env: WorkflowEnvironment) -> str:
    """The run of the cart CART's journey, started through the API as the shop would."""
    return await running_cart(api, temporal_env.client)
