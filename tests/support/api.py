"""The API under test, in-process over httpx (or served on loopback for a browser): its
shop and key, bodies, and running carts.

tests/api/conftest.py builds the fixtures (`app`, `api`, `anonymous`...) from these.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.app import create_app
from devstack.processes import free_port
from settings import Settings
from tests.factories import make_snapshot
from workflows.client import cart_workflow_id

API_KEY = "test-api-key"
SHOP = "demo_shop"
CART = "abc"
WORKFLOW_ID = cart_workflow_id(SHOP, CART)


def unreachable_database_url() -> str:
    """A PostgreSQL URL nothing listens on: an app given it runs without its database."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port once the probe socket is closed
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing"


def http_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An httpx client calling the app in-process (run its lifespan yourself)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cartnudge.test", headers=headers
    )


@asynccontextmanager
async def served(app: FastAPI, *, port: int = 0) -> AsyncIterator[str]:
    """The app (lifespan already run) on a loopback port in this event loop, for a real
    browser; yields its base URL. `port`: that one (its settings' public URL), not any."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped it
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


@asynccontextmanager
async def app_without_temporal(settings: Settings, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    """The app, lifespan run, while Temporal is unreachable (pages that never signal)."""
    # nothing listens on a free port once its probe socket is closed
    unreachable = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(unreachable, engine=engine)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def client_without_temporal(
    settings: Settings, engine: AsyncEngine, **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client (anonymous unless `headers` say) on the app while Temporal is unreachable."""
    async with app_without_temporal(settings, engine) as app, http_client(app, **headers) as client:
        yield client


def cart_body(*, minutes: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid PUT body as JSON; `minutes` moves updated_at so later snapshots are newer."""
    return make_snapshot(minutes=minutes, **overrides).model_dump(mode="json", exclude_none=True)


def order_body(**overrides: Any) -> dict[str, Any]:
    values = {
        "shop": SHOP,
        "order_id": "o-1",
        "cart_id": CART,
        "total": "1299.90",
        "currency": "TRY",
    }
    return {**values, **overrides}


async def running_cart(
    api: httpx.AsyncClient,
    client: Client,
    *,
    shop: str = SHOP,
    cart_id: str = CART,
    api_key: str | None = None,
) -> str:
    """Start the cart's workflow through the API (as the shop of `api_key`); its run id."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    response = await api.put(f"/v1/carts/{cart_id}", json=cart_body(shop=shop), headers=headers)
    assert response.status_code == 202, response.text
    description = await client.get_workflow_handle(cart_workflow_id(shop, cart_id)).describe()
    return str(description.run_id)
