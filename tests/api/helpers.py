"""Small builders and Temporal look-ups for the API tests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from contract.carts import CartSnapshot
from storage.models import Base
from tests.factories import make_snapshot

API_KEY = "test-api-key"
SHOP = "demo_shop"
CART = "abc"
WORKFLOW_ID = f"cart-{SHOP}-{CART}"


def http_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An httpx client calling the app in-process (run its lifespan yourself)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cartnudge.test", headers=headers
    )


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


async def signals(client: Client, workflow_id: str, run_id: str | None = None) -> list[str]:
    """The names of the signals the workflow run received, in order; [] when it never ran."""
    try:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
    return [
        event.workflow_execution_signaled_event_attributes.signal_name
        for event in history.events
        if event.HasField("workflow_execution_signaled_event_attributes")
    ]


async def signalled_snapshots(client: Client, workflow_id: str) -> list[CartSnapshot]:
    """The cart snapshots the workflow received with update_cart, in order."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    snapshots = []
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        attributes = event.workflow_execution_signaled_event_attributes
        if attributes.signal_name == "update_cart":
            [snapshot] = await client.data_converter.decode(
                attributes.input.payloads, [CartSnapshot]
            )
            snapshots.append(snapshot)
    return snapshots


async def workflow_exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def rows(sessions: async_sessionmaker[AsyncSession], model: type[Base]) -> list[Any]:
    async with sessions() as session:
        return list((await session.scalars(select(model))).all())
