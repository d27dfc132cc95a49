"""Bad cart input: a 422 that names each bad field, and nothing stored or started."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from storage.models import Cart
from tests.support.api import CART, WORKFLOW_ID, cart_body
from tests.support.histories import workflow_exists
from tests.support.tables import rows

Edit = Callable[[dict[str, Any]], None]


def setting(path: str, value: Any) -> Edit:
    """An edit that sets a dotted path (`customer.email`, `items.0.quantity`) in the body."""

    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return edit


def removing(*paths: str) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        for path in paths:
            *parents, last = path.split(".")
            target: Any = body
            for part in parents:
                target = target[part]
            target.pop(last, None)

    return edit


BAD_CARTS = {
    "float total": (setting("total", 1299.9), "total", "decimal string"),
    "float unit price": (setting("items.0.unit_price", 1299.9), "items[0].unit_price", "decimal"),
    "negative total": (setting("total", "-1.00"), "total", "negative"),
    "no way to reach the customer": (
        removing("customer.email", "customer.phone"),
        "customer",
        "email or phone",
    ),
    "bad currency": (setting("currency", "TL"), "currency", "ISO 4217"),
    "bad email": (setting("customer.email", "ayse-at-example.com"), "customer.email", "pattern"),
    "negative quantity": (setting("items.0.quantity", -1), "items[0].quantity", "greater than"),
    "unknown timezone": (setting("customer.timezone", "Mars/Olympus"), "customer.timezone", "IANA"),
    "timezone path trick": (
        setting("customer.timezone", "../etc/passwd"),
        "customer.timezone",
        "IANA",
    ),
    # "-" would make cart-{shop}-{cart_id} ambiguous between two shops' carts
    "hyphen in shop id": (setting("shop", "my-shop"), "shop", "pattern"),
    "unknown field": (setting("coupon", "FREE"), "coupon", "not permitted"),
    "unknown customer field": (setting("customer.age", 30), "customer.age", "not permitted"),
    "time without zone": (setting("updated_at", "2026-11-22T10:00:00"), "updated_at", "timezone"),
    "missing checkout url": (removing("checkout_url"), "checkout_url", "required"),
    "checkout url not http": (
        setting("checkout_url", "javascript:alert(1)"),
        "checkout_url",
        "http",
    ),
}


@pytest.mark.parametrize(("edit", "field", "problem"), BAD_CARTS.values(), ids=BAD_CARTS.keys())
async def test_bad_cart_is_refused_naming_the_field(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    edit: Edit,
    field: str,
    problem: str,
) -> None:
    body = copy.deepcopy(cart_body())
    edit(body)

    response = await api.put(f"/v1/carts/{CART}", json=body)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    assert problem.lower() in errors[0]["problem"].lower()
    assert field in response.json()["detail"]
    assert await rows(session_factory, Cart) == []
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_every_bad_field_is_named_at_once(api: httpx.AsyncClient) -> None:
    body = cart_body()
    body["currency"] = "lira"
    body["customer"]["email"] = "not-an-email"
    body["items"][0]["unit_price"] = 10.5

    response = await api.put(f"/v1/carts/{CART}", json=body)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"currency", "customer.email", "items[0].unit_price"}


async def test_malformed_json_is_refused_as_such(api: httpx.AsyncClient) -> None:
    response = await api.put(
        f"/v1/carts/{CART}",
        content=b'{"shop": "demo", "total": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert error["problem"].startswith("malformed JSON")


async def test_a_missing_body_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.put(f"/v1/carts/{CART}")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "problem": "a JSON body is required"}]


@pytest.mark.parametrize("cart_id", ["has space", "slash%2Fin", "x" * 201])
async def test_a_bad_cart_id_is_named(api: httpx.AsyncClient, cart_id: str) -> None:
    response = await api.put(f"/v1/carts/{cart_id}", json=cart_body())

    assert response.status_code in (404, 422)  # a raw slash never reaches the route
    if response.status_code == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["cart_id"]


async def test_the_rejected_input_is_not_echoed_back(api: httpx.AsyncClient) -> None:
    body = cart_body()
    body["customer"]["email"] = "secret-person-at-example.com"

    response = await api.put(f"/v1/carts/{CART}", json=body)

    assert response.status_code == 422
    assert "secret-person" not in response.text
