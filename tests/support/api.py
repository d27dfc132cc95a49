"""The API under test, in-process over httpx: its shop and key, bodies, and running carts.

tests/api/conftest.py builds the fixtures (`app`, `api`, `anonymous`...) from these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
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


def http_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An httpx client calling the app in-process (run its lifespan yourself)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cartnudge.test", headers=headers
    )


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
