"""What an order contains: its lines and the discount codes it used, stored with it once,
and a coupon of ours it redeemed shown in its cart's journey outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from storage.models import CouponRedemption, JourneyOutcome, Order, OrderLine
from tests.support.api import CART, SHOP, WORKFLOW_ID, cart_body, order_body, running_cart
from tests.support.coupons import add_coupon
from tests.support.smtp import SmtpServer
from tests.support.tables import as_tuples, rows
from tests.support.temporal import running_worker, smtp_email

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"

ITEMS = [
    {"sku": "SKU-1", "name": "Koşu Ayakkabısı", "quantity": 1, "unit_price": "1199.90"},
    {"sku": "SKU-2", "name": "Çorap", "quantity": 2, "unit_price": "50.00"},
]
CODES = [{"code": "CN-7KQ2M9", "amount": "120.00"}, {"code": "WELCOME"}]


async def test_an_orders_lines_and_codes_are_stored_with_it(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = order_body(placed_at="2026-11-22T13:30:00+03:00", items=ITEMS, discount_codes=CODES)

    response = await api.post("/v1/orders", json=body)

    assert response.status_code == 202
    placed_at = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert as_tuples(
        await rows(session_factory, OrderLine),
        *("order_id", "line", "sku", "name", "quantity", "unit_price", "currency", "placed_at"),
    ) == {
        ("o-1", 0, "SKU-1", "Koşu Ayakkabısı", 1, Decimal("1199.90"), "TRY", placed_at),
        ("o-1", 1, "SKU-2", "Çorap", 2, Decimal("50.00"), "TRY", placed_at),
    }
    assert as_tuples(
        await rows(session_factory, CouponRedemption),
        *("shop", "order_id", "code", "amount", "currency", "redeemed_at"),
    ) == {
        (SHOP, "o-1", "CN-7KQ2M9", Decimal("120.00"), "TRY", placed_at),
        (SHOP, "o-1", "WELCOME", None, "TRY", placed_at),
    }


async def test_without_placed_at_the_lines_are_dated_when_the_order_came(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.post("/v1/orders", json=order_body(items=ITEMS[:1]))

    [order] = await rows(session_factory, Order)
    [line] = await rows(session_factory, OrderLine)
    assert line.placed_at == order.received_at


async def test_a_replayed_order_adds_no_lines_and_no_codes(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.post("/v1/orders", json=order_body(items=ITEMS[:1], discount_codes=CODES[:1]))

    replay = await api.post("/v1/orders", json=order_body(items=ITEMS, discount_codes=CODES))

    assert replay.json()["status"] == "duplicate"
    assert [line.sku for line in await rows(session_factory, OrderLine)] == ["SKU-1"]
    assert [r.code for r in await rows(session_factory, CouponRedemption)] == ["CN-7KQ2M9"]


BAD_CONTENTS = {
    "no quantity": ({"items": [{**ITEMS[0], "quantity": 0}]}, ["items[0].quantity"]),
    "float price": ({"items": [{**ITEMS[0], "unit_price": 9.9}]}, ["items[0].unit_price"]),
    "unknown item field": ({"items": [{**ITEMS[0], "colour": "red"}]}, ["items[0].colour"]),
    "too many items": ({"items": [ITEMS[0]] * 251}, ["items"]),
    "empty code": ({"discount_codes": [{"code": ""}]}, ["discount_codes[0].code"]),
    "long code": ({"discount_codes": [{"code": "X" * 101}]}, ["discount_codes[0].code"]),
    "negative amount": (
        {"discount_codes": [{"code": "A", "amount": "-5.00"}]},
        ["discount_codes[0].amount"],
    ),
    "too many codes": (
        {"discount_codes": [{"code": f"C{n}"} for n in range(21)]},
        ["discount_codes"],
    ),
    "a code twice": (
        {"discount_codes": [{"code": "CN-7KQ2M9"}, {"code": "cn-7kq2m9"}]},
        ["discount_codes"],
    ),
}


@pytest.mark.parametrize(("change", "fields"), BAD_CONTENTS.values(), ids=BAD_CONTENTS.keys())
async def test_bad_contents_are_refused_naming_the_field(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    fields: list[str],
) -> None:
    response = await api.post("/v1/orders", json=order_body(**change))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert await rows(session_factory, Order) == []
    assert await rows(session_factory, OrderLine) == []


def test_the_openapi_spec_documents_the_contents_with_an_example(app: FastAPI) -> None:
    spec = app.openapi()
    order = spec["components"]["schemas"]["OrderIn"]
    assert {"items", "discount_codes"} <= set(order["properties"])
    assert order["properties"]["discount_codes"]["maxItems"] == 20
    [example] = order["examples"]
    assert example["discount_codes"] and example["items"]


async def test_a_redeemed_coupon_of_ours_shows_in_the_journey_outcome(
    api: httpx.AsyncClient,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    smtp_server: SmtpServer,
) -> None:
    """The order names our code in another case (codes are case-insensitive); the outcome
    the workflow records says which coupon of ours it was and what it took off."""
    async with running_worker(
        temporal_env.client,
        settings=settings.model_copy(update={"journeys_dir": REPO_JOURNEYS}),
        session_factory=session_factory,
        providers=smtp_email(smtp_server.url),
    ):
        run_id = await running_cart(api, temporal_env.client)
        await add_coupon(session_factory, code="CN-7KQ2M9", workflow_id=WORKFLOW_ID, run_id=run_id)
        await add_coupon(  # another cart's coupon, which this order did not use
            session_factory, code="CN-OTHER1", workflow_id="cart-demo_shop-x", run_id="run-x"
        )
        codes = [{"code": "WELCOME", "amount": "10.00"}, {"code": "cn-7kq2m9", "amount": "129.99"}]

        await api.post("/v1/orders", json=order_body(discount_codes=codes))
        await temporal_env.client.get_workflow_handle(WORKFLOW_ID).result()
        journey = await api.get(f"/v1/carts/{CART}/journey", params={"shop": SHOP})

    [outcome] = await rows(session_factory, JourneyOutcome)
    assert (outcome.order_id, outcome.coupon_code, outcome.discount) == (
        "o-1",
        "CN-7KQ2M9",
        Decimal("129.99"),
    )
    state = journey.json()
    assert (state["order_id"], state["coupon_code"], state["discount"]) == (
        "o-1",
        "CN-7KQ2M9",
        "129.99",
    )


async def test_an_outcome_without_a_coupon_of_ours_says_none(
    api: httpx.AsyncClient,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    smtp_server: SmtpServer,
) -> None:
    async with running_worker(
        temporal_env.client,
        settings=settings.model_copy(update={"journeys_dir": REPO_JOURNEYS}),
        session_factory=session_factory,
        providers=smtp_email(smtp_server.url),
    ):
        await api.put(f"/v1/carts/{CART}", json=cart_body())
        await api.post("/v1/orders", json=order_body(discount_codes=[{"code": "WELCOME"}]))
        await temporal_env.client.get_workflow_handle(WORKFLOW_ID).result()

    [outcome] = await rows(session_factory, JourneyOutcome)
    assert (outcome.order_id, outcome.coupon_code, outcome.discount) == ("o-1", None, None)
