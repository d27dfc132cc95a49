"""Limits on what a request may carry: body size (every route), items per cart, string
lengths. Each is a 4xx naming the limit, and nothing is stored or started."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from contract.carts import MAX_CART_ITEMS
from storage.models import Cart, IdempotentRequest
from tests.factories import make_item
from tests.support.api import CART, WORKFLOW_ID, cart_body
from tests.support.histories import workflow_exists
from tests.support.tables import rows

MAX_BODY = 32 * 1024
CART_URL = f"/v1/carts/{CART}"
TOO_LARGE = f"request body too large: at most {MAX_BODY} bytes (CARTNUDGE_MAX_BODY_BYTES)"


# a key, so that the SendGrid route reads the body it is sent
pytestmark = pytest.mark.settings(max_body_bytes=MAX_BODY, sendgrid_webhook_public_key="unused")


def big_cart() -> dict[str, Any]:
    """A valid cart whose JSON is above MAX_BODY."""
    items = [make_item(sku=f"SKU-{n}", name="x" * 400) for n in range(100)]
    return cart_body(items=items)


async def chunks(data: bytes, size: int = 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def nothing_stored(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> bool:
    return (
        await rows(sessions, Cart) == []
        and await rows(sessions, IdempotentRequest) == []
        and not await workflow_exists(temporal_env.client, WORKFLOW_ID)
    )


async def test_a_body_declared_too_large_is_a_413_naming_the_limit(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    body = big_cart()
    assert len(json.dumps(body)) > MAX_BODY

    response = await api.put(CART_URL, json=body, headers={"Idempotency-Key": "k-big"})

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE, "errors": []}
    assert await nothing_stored(session_factory, temporal_env)


async def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    data = json.dumps(big_cart()).encode()

    response = await api.put(
        CART_URL,
        content=chunks(data),
        headers={"Content-Type": "application/json", "Idempotency-Key": "k-big"},
    )

    assert response.request.headers.get("content-length") is None  # chunked
    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE
    assert await nothing_stored(session_factory, temporal_env)


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_webhooks_have_the_body_limit_too(
    anonymous: httpx.AsyncClient, streamed: bool
) -> None:
    data = b"[" + b" " * MAX_BODY + b"]"

    response = await anonymous.post(
        "/webhooks/sendgrid",
        content=chunks(data) if streamed else data,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE


async def test_a_body_at_the_limit_is_taken(api: httpx.AsyncClient) -> None:
    data = json.dumps(cart_body()).encode()
    padded = data[:-1] + b" " * (MAX_BODY - len(data)) + b"}"
    assert len(padded) == MAX_BODY

    response = await api.put(CART_URL, content=padded, headers={"Content-Type": "application/json"})

    assert response.status_code == 202


async def test_too_many_items_is_a_422_naming_items_and_the_limit(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    small = {"sku": "S", "name": "n", "quantity": 1, "unit_price": "1"}
    body = {**cart_body(), "items": [small] * (MAX_CART_ITEMS + 1)}
    assert len(json.dumps(body)) < MAX_BODY

    response = await api.put(CART_URL, json=body)

    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: items"
    [error] = response.json()["errors"]
    assert error["field"] == "items"
    assert f"at most {MAX_CART_ITEMS} items" in error["problem"]
    assert await nothing_stored(session_factory, temporal_env)


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("items.0.name", "n" * 501, "at most 500 characters"),
        ("items.0.sku", "s" * 201, "at most 200 characters"),
        ("customer.first_name", "a" * 101, "at most 100 characters"),
        ("customer.email", "a" * 250 + "@x.com", "at most 254 characters"),
        ("checkout_url", "https://shop.example/" + "p" * 2048, "at most 2048 characters"),
        ("total", "10000000000", "less than 10000000000"),  # the database's NUMERIC(14, 4)
    ],
)
async def test_a_value_over_its_limit_is_a_422_naming_field_and_limit(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    field: str,
    value: str,
    limit: str,
) -> None:
    body = cart_body()
    *parents, last = field.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value

    response = await api.put(CART_URL, json=body)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field.replace(".0.", "[0].")
    assert limit in error["problem"]
    assert await nothing_stored(session_factory, temporal_env)
