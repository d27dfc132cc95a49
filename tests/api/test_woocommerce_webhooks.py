"""WooCommerce's order webhooks, signed over the raw bytes it sends: a paid order carrying
our cart id ends that cart's journey; the unsigned ping on creating a webhook gets a 200."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.webhook_signatures import hmac_sha256_base64
from storage.models import CouponRedemption, Order, OrderLine
from tests.factories import add_shop
from tests.support.api import running_cart
from tests.support.histories import signals
from tests.support.tables import rows
from workflows.client import cart_workflow_id

# Byte for byte as WooCommerce sends it: PHP's json_encode, `/` written `\/`.
ORDER = (Path(__file__).parent / "payloads" / "woocommerce_order_processing.json").read_bytes()

SECRET = "wc-webhook-secret-0123456789"
KAHVE = "kahve_shop"
KAHVE_KEY = "kahve-api-key"
CART = "abc"  # the cart id the shop's plugin stored on the order as _cartnudge_cart_id
WORKFLOW_ID = cart_workflow_id(KAHVE, CART)
URL = f"/webhooks/woocommerce/{KAHVE}"
USER_AGENT = "WooCommerce/9.4.1 Hookshot (WordPress/6.7.1)"


@pytest.fixture(autouse=True)
async def kahve_shop(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await add_shop(session_factory, shop=KAHVE, key=KAHVE_KEY, woocommerce_secret=SECRET)


def php_json(payload: Any) -> bytes:
    """JSON as WooCommerce writes it (wp_json_encode): compact, ASCII, `/` escaped."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def order_with(**fields: Any) -> bytes:
    return php_json({**json.loads(ORDER), **fields})


def woo_headers(
    body: bytes, *, topic: str = "order.updated", secret: str = SECRET
) -> dict[str, str]:
    resource, event = topic.split(".", 1)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": hmac_sha256_base64(secret, body),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "36e520ebabc2fa725092ff4a47acedf2",
    }


async def deliver(
    client: httpx.AsyncClient, body: bytes = ORDER, *, topic: str = "order.updated"
) -> httpx.Response:
    return await client.post(URL, content=body, headers=woo_headers(body, topic=topic))


@pytest.fixture
async def cart_in_journey(api: httpx.AsyncClient, temporal_env: WorkflowEnvironment) -> None:
    """The plugin has sent the cart through the generic API, as it does."""
    await running_cart(api, temporal_env.client, shop=KAHVE, api_key=KAHVE_KEY)


async def test_the_ping_on_creating_the_webhook_gets_200(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await anonymous.post(
        URL,
        content=b"webhook_id=3",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT},
    )

    assert response.status_code == 200  # WooCommerce accepts the URL only on exactly 200
    assert response.json()["status"] == "ping"
    assert await rows(session_factory, Order) == []


@pytest.mark.usefixtures("cart_in_journey")
async def test_a_paid_order_ends_the_journey_of_the_cart_it_names(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    response = await deliver(anonymous)  # the raw bytes, escaped slashes and all

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "workflow_id": WORKFLOW_ID, "reason": None}
    [order] = await rows(session_factory, Order)
    assert (order.shop, order.order_id, order.cart_id, order.total, order.currency) == (
        KAHVE,
        "727",
        CART,
        Decimal("1299.90"),
        "TRY",
    )
    assert order.placed_at == datetime(2026, 11, 22, 10, 30, 2, tzinfo=UTC)  # date_paid_gmt
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


@pytest.mark.usefixtures("cart_in_journey")
async def test_a_signature_over_the_json_serialised_again_is_refused(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    reserialised = json.dumps(json.loads(ORDER), separators=(",", ":")).encode()
    headers = woo_headers(ORDER)
    headers["X-WC-Webhook-Signature"] = hmac_sha256_base64(SECRET, reserialised)

    response = await anonymous.post(URL, content=ORDER, headers=headers)

    assert response.status_code == 401
    assert await rows(session_factory, Order) == []
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


@pytest.mark.parametrize("forgery", ["no signature", "other secret", "body changed"])
async def test_an_unsigned_or_tampered_order_gets_401_and_stores_nothing(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], forgery: str
) -> None:
    headers, body = woo_headers(ORDER), ORDER
    if forgery == "no signature":
        del headers["X-WC-Webhook-Signature"]
    elif forgery == "other secret":
        headers = woo_headers(ORDER, secret="guess")
    else:
        body = ORDER.replace(b'"total":"1299.90"', b'"total":"1.00"')
        assert body != ORDER

    response = await anonymous.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert await rows(session_factory, Order) == []


async def test_an_unknown_shop_or_one_without_a_secret_gets_401_even_for_the_ping(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="bare_shop", key=None)
    ping = {"Content-Type": "application/x-www-form-urlencoded"}

    unknown = await anonymous.post(
        "/webhooks/woocommerce/no_shop", content=b"webhook_id=3", headers=ping
    )
    bare = await anonymous.post(
        "/webhooks/woocommerce/bare_shop", content=b"webhook_id=3", headers=ping
    )

    assert (unknown.status_code, bare.status_code) == (401, 401)
    assert "no WooCommerce webhook secret" in bare.json()["detail"]  # the merchant sees why


async def test_an_order_without_our_cart_id_is_acknowledged_and_ignored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    meta = [m for m in json.loads(ORDER)["meta_data"] if m["key"] != "_cartnudge_cart_id"]

    response = await deliver(anonymous, order_with(meta_data=meta))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await rows(session_factory, Order) == []


@pytest.mark.usefixtures("cart_in_journey")
async def test_an_order_counts_once_it_is_paid(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    pending = await deliver(anonymous, order_with(status="pending"), topic="order.created")

    assert pending.json()["status"] == "ignored"
    assert await rows(session_factory, Order) == []
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]

    completed = await deliver(anonymous, order_with(status="completed"))

    assert completed.json()["status"] == "accepted"
    assert len(await rows(session_factory, Order)) == 1
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


async def test_a_redelivered_order_is_recorded_once(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    first = await deliver(anonymous)
    [before] = await rows(session_factory, Order)

    again = await deliver(anonymous, order_with(status="completed"))  # processing -> completed

    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    [after] = await rows(session_factory, Order)
    assert (after.id, after.received_at) == (before.id, before.received_at)


async def test_a_topic_we_do_not_use_is_acknowledged_and_ignored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    product = php_json(
        {"id": 93, "name": "Koşu Ayakkabısı", "permalink": "https://shop.example/p/93"}
    )

    response = await deliver(anonymous, product, topic="product.updated")

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await rows(session_factory, Order) == []


async def test_an_unreadable_order_gets_422_naming_woocommerces_field(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await deliver(anonymous, order_with(total="-5.00"))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["total"]
    assert await rows(session_factory, Order) == []


@pytest.mark.usefixtures("cart_in_journey")
async def test_while_temporal_is_down_the_order_is_kept_and_its_redelivery_tells_the_journey(
    anonymous_without_temporal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    refused = await deliver(anonymous_without_temporal)

    assert refused.status_code == 503
    assert refused.headers["retry-after"]
    assert len(await rows(session_factory, Order)) == 1  # recorded: no reminder after it

    retried = await deliver(anonymous)  # redelivered from WooCommerce's webhook screen

    assert retried.status_code == 200
    assert len(await rows(session_factory, Order)) == 1
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


@pytest.mark.usefixtures("cart_in_journey")
async def test_a_paid_orders_lines_and_coupon_lines_are_stored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    coupon = {"id": 320, "code": "cn-7kq2m9", "discount": "144.43", "discount_tax": "28.89"}

    await deliver(anonymous, order_with(coupon_lines=[{**coupon, "meta_data": []}]))

    [line] = await rows(session_factory, OrderLine)
    assert (line.order_id, line.sku, line.quantity, line.unit_price) == (
        "727",
        "SKU-1",
        1,
        Decimal("1083.25"),
    )
    [redeemed] = await rows(session_factory, CouponRedemption)
    assert (redeemed.code, redeemed.amount, redeemed.currency) == (
        "cn-7kq2m9",
        Decimal("144.43"),
        "TRY",
    )
