"""Once Temporal or the database has failed a call, intake refuses the next requests with
503 and Retry-After without calling it (for `fail_fast_seconds`), and calls it again after.

Each dependency sits behind a TCP proxy (tests/support/tcp_proxy.py) that plays it dead
and alive while the real server keeps running, so what reached the server (a workflow
started, a cart stored) tells whether the app called it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from storage.models import Cart
from tests.support.api import API_KEY, SHOP, cart_body, http_client
from tests.support.histories import workflow_exists
from tests.support.tables import rows
from tests.support.tcp_proxy import TcpProxy
from workflows.client import cart_workflow_id

WINDOW_LONGER_THAN_THE_TEST = 600.0
SHORT_WINDOW = 0.5


@asynccontextmanager
async def api_with(
    settings: Settings, engine: AsyncEngine | None = None, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The API (lifespan run) on `settings` changed so, connecting to what they name (the
    database through `engine` if given)."""
    # generous: a call that works must not time out on a busy box and open the window
    changes = {"temporal_call_timeout_seconds": 5, **changes}
    app = create_app(settings.model_copy(update=changes), engine=engine)
    async with (
        app.router.lifespan_context(app),
        http_client(app, Authorization=f"Bearer {API_KEY}") as client,
    ):
        yield client


async def put(api: httpx.AsyncClient, cart_id: str) -> httpx.Response:
    return await api.put(f"/v1/carts/{cart_id}", json=cart_body())


def stored(carts: list[Cart]) -> set[str]:
    return {cart.cart_id for cart in carts}


@pytest.fixture
async def temporal_proxy(temporal_env: WorkflowEnvironment) -> AsyncIterator[TcpProxy]:
    async with TcpProxy(temporal_env.client.service_client.config.target_host) as proxy:
        yield proxy


@pytest.fixture
async def database_proxy(
    database_url: str, db_engine: AsyncEngine
) -> AsyncIterator[tuple[TcpProxy, str]]:
    """The test database's URL through a proxy (the tables emptied by `db_engine`)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database that goes down is a server: PostgreSQL only")
    async with TcpProxy(f"{url.host}:{url.port}") as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        yield proxy, proxied.render_as_string(hide_password=False)


async def test_after_temporal_failed_the_next_carts_are_refused_without_calling_it(
    settings: Settings,
    db_engine: AsyncEngine,
    temporal_proxy: TcpProxy,
    temporal_env: WorkflowEnvironment,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    temporal = temporal_env.client
    async with api_with(
        settings,
        db_engine,
        temporal_address=temporal_proxy.address,
        fail_fast_seconds=WINDOW_LONGER_THAN_THE_TEST,
    ) as api:
        assert (await put(api, "before")).status_code == 202

        temporal_proxy.go_down()
        failed = await put(api, "during")
        temporal_proxy.come_back()  # Temporal answers again; the app does not know yet
        refused = await put(api, "after")
        health = await api.get("/healthz")

    assert (failed.status_code, failed.headers["retry-after"]) == (503, "5")
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    assert "retry" in refused.json()["detail"]
    assert not await workflow_exists(temporal, cart_workflow_id(SHOP, "after"))  # not called
    assert "after" in stored(await rows(session_factory, Cart))  # kept for the shop's retry
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "ok", "temporal": "unreachable"}


async def test_after_the_window_a_request_calls_temporal_again_and_intake_resumes(
    settings: Settings,
    db_engine: AsyncEngine,
    temporal_proxy: TcpProxy,
    temporal_env: WorkflowEnvironment,
) -> None:
    async with api_with(
        settings, db_engine, temporal_address=temporal_proxy.address, fail_fast_seconds=SHORT_WINDOW
    ) as api:
        temporal_proxy.go_down()
        failed = await put(api, "during")
        temporal_proxy.come_back()
        await asyncio.sleep(SHORT_WINDOW * 2)
        retried = await put(api, "during")  # the shop's retry
        later = await put(api, "later")
        health = await api.get("/healthz")

    assert failed.status_code == 503
    assert (retried.status_code, later.status_code, health.status_code) == (202, 202, 200)
    for cart_id in ("during", "later"):
        assert await workflow_exists(temporal_env.client, cart_workflow_id(SHOP, cart_id))


async def test_after_the_database_failed_the_next_carts_are_refused_without_trying_it(
    settings: Settings,
    database_proxy: tuple[TcpProxy, str],
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    proxy, url = database_proxy
    async with api_with(
        settings,
        database_url=url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        fail_fast_seconds=WINDOW_LONGER_THAN_THE_TEST,
    ) as api:
        assert (await put(api, "before")).status_code == 202

        proxy.go_down()
        failed = await put(api, "during")
        proxy.come_back()  # PostgreSQL answers again; the app does not know yet
        refused = await put(api, "after")
        health = await api.get("/healthz")

    assert (failed.status_code, failed.headers["retry-after"]) == (503, "5")
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    assert "database" in refused.json()["detail"]
    assert stored(await rows(session_factory, Cart)) == {"before"}  # never 2xx unstored
    assert not await workflow_exists(temporal_env.client, cart_workflow_id(SHOP, "after"))
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable", "temporal": "ok"}


async def test_after_the_window_the_database_is_tried_again_and_the_retry_is_stored(
    settings: Settings,
    database_proxy: tuple[TcpProxy, str],
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    proxy, url = database_proxy
    async with api_with(
        settings,
        database_url=url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        fail_fast_seconds=SHORT_WINDOW,
    ) as api:
        assert (await put(api, "before")).status_code == 202
        proxy.go_down()
        failed = await put(api, "during")
        proxy.come_back()
        await asyncio.sleep(SHORT_WINDOW * 2)
        retried = await put(api, "during")
        health = await api.get("/healthz")

    assert (failed.status_code, retried.status_code, health.status_code) == (503, 202, 200)
    assert stored(await rows(session_factory, Cart)) == {"before", "during"}
    assert await workflow_exists(temporal_env.client, cart_workflow_id(SHOP, "during"))
