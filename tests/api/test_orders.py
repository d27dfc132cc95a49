"""POST /v1/orders: recorded once, and the cart's workflow told."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from storage.models import Order
from tests.support.api import CART, WORKFLOW_ID, cart_body, order_body
from tests.support.histories import signal_inputs, signals, workflow_exists
from tests.support.tables import rows
from workflows.names import ORDER_PLACED
from workflows.payloads import OrderPlaced


async def test_an_order_is_recorded_and_ends_the_carts_journey(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(f"/v1/carts/{CART}", json=cart_body())

    response = await api.post("/v1/orders", json=order_body(placed_at="2026-11-22T13:30:00+03:00"))

    assert response.status_code == 202
    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "accepted"}
    [order] = await rows(session_factory, Order)
    assert (order.order_id, order.cart_id, order.total) == ("o-1", CART, Decimal("1299.90"))
    assert order.placed_at == datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]
    [placed] = await signal_inputs(temporal_env.client, WORKFLOW_ID, ORDER_PLACED, OrderPlaced)
    assert (placed.order_id, placed.total, placed.currency) == ("o-1", Decimal("1299.90"), "TRY")


async def test_a_replayed_order_changes_nothing(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.post("/v1/orders", json=order_body())
    [before] = await rows(session_factory, Order)

    response = await api.post("/v1/orders", json=order_body(total="1.00"))

    assert response.status_code == 202
    assert response.json()["status"] == "duplicate"
    [after] = await rows(session_factory, Order)
    assert (after.id, after.total, after.received_at) == (
        before.id,
        before.total,
        before.received_at,
    )


async def test_an_order_for_a_cart_without_a_journey_is_still_recorded(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    response = await api.post("/v1/orders", json=order_body())

    assert response.status_code == 202
    assert len(await rows(session_factory, Order)) == 1
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_an_order_that_arrives_before_its_cart_keeps_the_cart_from_any_journey(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    """Events cross on the way: the purchase is kept, and the late cart starts nothing."""
    await api.post("/v1/orders", json=order_body())

    late_cart = await api.put(f"/v1/carts/{CART}", json=cart_body(minutes=-30))

    assert late_cart.status_code == 202
    assert late_cart.json() == {"workflow_id": WORKFLOW_ID, "status": "purchased"}
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)
    assert [order.cart_id for order in await rows(session_factory, Order)] == [CART]


async def test_an_order_after_the_journey_ended_is_recorded(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(f"/v1/carts/{CART}", json=cart_body())
    await temporal_env.client.get_workflow_handle(WORKFLOW_ID).terminate("journey over")

    response = await api.post("/v1/orders", json=order_body())

    assert response.status_code == 202
    assert len(await rows(session_factory, Order)) == 1


BAD_ORDERS = {
    "float total": ({"total": 1299.9}, "total"),
    "bad currency": ({"currency": "try"}, "currency"),
    "missing cart": ({"cart_id": None}, "cart_id"),
    "unknown field": ({"discount": "5"}, "discount"),
    "placed_at without zone": ({"placed_at": "2026-11-22T10:00:00"}, "placed_at"),
}


@pytest.mark.parametrize(("change", "field"), BAD_ORDERS.values(), ids=BAD_ORDERS.keys())
async def test_a_bad_order_is_refused_naming_the_field(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {k: v for k, v in {**order_body(), **change}.items() if v is not None}

    response = await api.post("/v1/orders", json=body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await rows(session_factory, Order) == []
