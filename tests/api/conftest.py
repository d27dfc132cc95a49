"""The API in-process over httpx, on the session's PostgreSQL and a time-skipping Temporal.

Fixtures:
    settings  test settings (API key "test-api-key", a fresh task queue)
    app       the FastAPI app with the test's Temporal client and database engine
    api       an httpx.AsyncClient on it, lifespan run, carrying the API key
    anonymous the same without the API key
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from settings import Settings
from tests.api.helpers import API_KEY, http_client
from tests.support.temporal import settings_for_tests


@pytest.fixture
def settings() -> Settings:
    return settings_for_tests(api_key=API_KEY)


@pytest.fixture
async def app(
    settings: Settings, temporal_env: Any, db_engine: AsyncEngine
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
