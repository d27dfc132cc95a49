"""Shopify's webhooks, signed with the shop's secret: a checkout starts or updates its cart's
journey, an order ends it; each webhook id counts once, and nothing unsigned gets in."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.webhook_signatures import hmac_sha256_base64
from data_at_rest.cipher import DataCipher
from storage.models import Cart, CouponRedemption, Order, OrderLine, ProviderEvent
from tests.factories import add_shop
from tests.support.data_keys import fresh_key
from tests.support.histories import signalled_carts, signals, workflow_exists
from tests.support.tables import as_tuples, rows
from workflows.client import cart_workflow_id
from workflows.payloads import LineItem, Shopper, ShopperConsent

PAYLOADS = Path(__file__).parent / "payloads"
CHECKOUT = (PAYLOADS / "shopify_checkouts_create.json").read_bytes()
ORDER = (PAYLOADS / "shopify_orders_create.json").read_bytes()

SECRET = "shpss_0123456789abcdef0123456789abcdef"
DOMAIN = "kedi-shop.myshopify.com"
KEDI = "kedi_shop"  # the id the CLI derives from the domain
TOKEN = "1f8d5c2a9b7e4d3c8a6f0e2b4d6c8a1e"  # the checkout's token: the cart id
WORKFLOW_ID = cart_workflow_id(KEDI, TOKEN)


@pytest.fixture(autouse=True)
async def kedi_shop(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await add_shop(
        session_factory,
        shop=KEDI,
        key=None,
        shopify_domain=DOMAIN,
        shopify_secret=SECRET,
        timezone="America/Toronto",
        locale="en",
        currency="USD",
    )


def changed(body: bytes, **fields: Any) -> bytes:
    """The payload with some top-level fields replaced, as Shopify would serialise it."""
    return json.dumps({**json.loads(body), **fields}).encode()


def shopify_headers(
    topic: str, body: bytes, *, webhook_id: str, secret: str = SECRET, domain: str = DOMAIN
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": f"event-{webhook_id}",
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Triggered-At": "2026-11-22T15:00:00.000000000Z",
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
    }


async def deliver(
    client: httpx.AsyncClient, topic: str, body: bytes, *, webhook_id: str = "wh-1"
) -> httpx.Response:
    """POST the webhook as Shopify does: the raw body, signed with the shop's secret."""
    headers = shopify_headers(topic, body, webhook_id=webhook_id)
    return await client.post("/webhooks/shopify", content=body, headers=headers)


async def test_a_checkout_starts_its_carts_journey_with_the_mapped_snapshot(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    response = await deliver(anonymous, "checkouts/create", CHECKOUT)

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "workflow_id": WORKFLOW_ID, "reason": None}
    [cart] = await rows(session_factory, Cart)
    assert (cart.shop, cart.cart_id, cart.total, cart.currency) == (
        KEDI,
        TOKEN,
        Decimal("421.88"),
        "CAD",
    )
    [signalled] = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert signalled.checkout_url == (
        f"https://checkout.local/548380009/checkouts/ac/{TOKEN}/recover?key=example-secret-token"
    )
    assert signalled.customer == Shopper(
        id="603851970716743426",
        email="john@example.com",
        phone="+16135550143",
        first_name="John",
        locale="en-CA",
        timezone="America/Toronto",  # the shop's: Shopify does not say
        consent=ShopperConsent(email=True),  # buyer_accepts_marketing
        orders_count=0,  # what journeys' "only as a last resort" conditions read
        tags=[],
    )
    assert signalled.items == [
        LineItem(
            sku="IPOD2008PINK", name="IPod Nano - 8GB – Pink", quantity=1, unit_price=Decimal("199")
        ),
        LineItem(sku="9007199254740993", name="Gift wrap", quantity=2, unit_price=Decimal("99.5")),
    ]


async def test_the_customers_orders_count_and_tags_reach_the_journey(
    anonymous: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    checkout = json.loads(CHECKOUT)
    checkout["customer"].update(orders_count=7, tags="vip, wholesale")
    loyal = json.dumps(checkout).encode()

    response = await deliver(anonymous, "checkouts/create", loyal)

    assert response.status_code == 200
    [signalled] = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert (signalled.customer.orders_count, signalled.customer.tags) == (7, ["vip", "wholesale"])


async def test_ids_beyond_2_53_are_kept_exactly(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await deliver(anonymous, "checkouts/create", CHECKOUT)
    await deliver(anonymous, "orders/create", ORDER, webhook_id="wh-2")

    [cart] = await rows(session_factory, Cart)
    assert cart.customer_id == "603851970716743426"  # a float would have made ...743424
    assert cart.snapshot["items"][1]["sku"] == "9007199254740993"  # ...992
    [order] = await rows(session_factory, Order)
    assert order.order_id == "820982911946154508"  # ...154496


async def test_a_newer_checkout_update_updates_the_running_journey(
    anonymous: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    await deliver(anonymous, "checkouts/create", CHECKOUT)
    first_line = json.loads(CHECKOUT)["line_items"][0]
    update = changed(
        CHECKOUT,
        updated_at="2026-11-22T10:20:00-05:00",
        line_items=[{**first_line, "quantity": 3}],
        total_price="597.00",
    )

    response = await deliver(anonymous, "checkouts/update", update, webhook_id="wh-2")

    assert response.json()["status"] == "accepted"
    carts = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert [(c.total, [i.quantity for i in c.items]) for c in carts] == [
        (Decimal("421.88"), [1, 2]),
        (Decimal("597.00"), [3]),
    ]


async def test_a_redelivered_webhook_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    first = await deliver(anonymous, "checkouts/create", CHECKOUT, webhook_id="wh-1")
    [cart_before] = await rows(session_factory, Cart)

    again = await deliver(anonymous, "checkouts/create", CHECKOUT, webhook_id="wh-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["status"] == "duplicate"
    [cart_after] = await rows(session_factory, Cart)
    assert cart_after.received_at == cart_before.received_at
    assert len(await rows(session_factory, ProviderEvent)) == 1
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


async def test_an_order_ends_the_journey_of_its_checkout(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await deliver(anonymous, "checkouts/create", CHECKOUT)

    created = await deliver(anonymous, "orders/create", ORDER, webhook_id="wh-2")
    paid = await deliver(anonymous, "orders/paid", ORDER, webhook_id="wh-3")

    assert created.json() == {"status": "accepted", "workflow_id": WORKFLOW_ID, "reason": None}
    assert paid.json()["status"] == "duplicate"  # the same order, recorded once
    [order] = await rows(session_factory, Order)
    assert (order.shop, order.cart_id, order.total, order.currency) == (
        KEDI,
        TOKEN,
        Decimal("421.88"),
        "USD",
    )
    assert (await signals(temporal_env.client, WORKFLOW_ID))[:2] == [
        "update_cart",
        "order_placed",
    ]


async def test_an_order_from_no_checkout_is_acknowledged_and_ignored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    pos_order = changed(ORDER, checkout_token=None, source_name="pos")

    response = await deliver(anonymous, "orders/create", pos_order)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await rows(session_factory, Order) == []


async def test_an_emptied_checkout_ends_the_journey(
    anonymous: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    await deliver(anonymous, "checkouts/create", CHECKOUT)
    emptied = changed(
        CHECKOUT, updated_at="2026-11-22T10:05:00-05:00", line_items=[], total_price="0.00"
    )

    response = await deliver(anonymous, "checkouts/update", emptied, webhook_id="wh-2")

    assert response.json()["status"] == "emptied"
    carts = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert [c.is_empty for c in carts] == [False, True]


def forged(body: bytes) -> dict[str, tuple[dict[str, str], bytes]]:
    genuine = shopify_headers("checkouts/create", body, webhook_id="wh-1")
    return {
        "no signature": (
            {k: v for k, v in genuine.items() if k != "X-Shopify-Hmac-Sha256"},
            body,
        ),
        "other secret": (
            shopify_headers("checkouts/create", body, webhook_id="wh-1", secret="guess"),
            body,
        ),
        "body changed": (genuine, body.replace(b'"421.88"', b'"1.00"')),
        "unknown domain": ({**genuine, "X-Shopify-Shop-Domain": "other.myshopify.com"}, body),
        "no domain": ({k: v for k, v in genuine.items() if k != "X-Shopify-Shop-Domain"}, body),
    }


@pytest.mark.parametrize(
    "forgery", ["no signature", "other secret", "body changed", "unknown domain", "no domain"]
)
async def test_an_unsigned_or_tampered_webhook_gets_401_and_stores_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    forgery: str,
) -> None:
    headers, body = forged(CHECKOUT)[forgery]

    response = await anonymous.post("/webhooks/shopify", content=body, headers=headers)

    assert response.status_code == 401
    assert await rows(session_factory, Cart) == []
    assert await rows(session_factory, ProviderEvent) == []
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_a_shop_without_a_shopify_secret_is_told_so(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="bare_shop", key=None, shopify_domain="bare.myshopify.com")
    headers = shopify_headers("checkouts/create", CHECKOUT, webhook_id="wh-1", secret="")
    headers["X-Shopify-Shop-Domain"] = "bare.myshopify.com"

    response = await anonymous.post("/webhooks/shopify", content=CHECKOUT, headers=headers)

    assert response.status_code == 401
    assert "no Shopify webhook secret" in response.json()["detail"]
    assert await rows(session_factory, Cart) == []


async def test_a_topic_we_do_not_use_is_acknowledged_and_ignored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = b'{"id": 788032119674292922, "title": "Example T-Shirt"}'

    response = await deliver(anonymous, "products/update", body)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await rows(session_factory, ProviderEvent) == []


async def test_an_unreadable_checkout_gets_422_naming_shopifys_field_and_stores_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    lines = json.loads(CHECKOUT)["line_items"]
    bad = changed(CHECKOUT, line_items=[lines[0], {**lines[1], "price": "ninety-nine"}])

    response = await deliver(anonymous, "checkouts/create", bad, webhook_id="wh-1")

    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: line_items[1].price"
    assert [e["field"] for e in response.json()["errors"]] == ["line_items[1].price"]
    assert await rows(session_factory, Cart) == []
    assert await rows(session_factory, ProviderEvent) == []  # the id is not used up
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_while_temporal_is_down_shopify_gets_503_and_its_retry_is_handled(
    anonymous_without_temporal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    refused = await deliver(anonymous_without_temporal, "checkouts/create", CHECKOUT)

    assert refused.status_code == 503
    assert refused.headers["retry-after"]
    assert len(await rows(session_factory, Cart)) == 1  # stored before signalling
    assert await rows(session_factory, ProviderEvent) == []  # forgotten: the retry counts

    retried = await deliver(anonymous, "checkouts/create", CHECKOUT)  # same webhook id

    assert retried.status_code == 200
    assert retried.json()["status"] == "accepted"
    [signalled] = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert signalled.customer.email == "john@example.com"


async def test_a_delivery_that_died_after_storing_the_cart_is_handled_in_full_on_retry(
    anonymous: httpx.AsyncClient,
    temporal_env: WorkflowEnvironment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API process dies between storing the cart and starting its journey (stood in for
    by an error nothing handles): Shopify's retry of the same webhook id must start it."""

    async def dies(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the API process died here")

    with monkeypatch.context() as patched:
        patched.setattr("intake.carts.start_cart_journey", dies)
        with pytest.raises(RuntimeError):
            await deliver(anonymous, "checkouts/create", CHECKOUT)
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)

    retried = await deliver(anonymous, "checkouts/create", CHECKOUT)  # same webhook id

    assert retried.json()["status"] == "accepted"
    assert await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_an_orders_lines_and_discount_codes_are_stored_once(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    with_code = changed(
        ORDER, discount_codes=[{"code": "CN-7KQ2M9", "amount": "39.80", "type": "percentage"}]
    )

    await deliver(anonymous, "orders/create", with_code, webhook_id="wh-2")
    await deliver(anonymous, "orders/paid", with_code, webhook_id="wh-3")  # the same order

    assert as_tuples(await rows(session_factory, OrderLine), "line", "sku", "quantity") == {
        (0, "IPOD2008PINK", 1),
        (1, "9007199254740993", 2),  # no sku: the variant id, as for carts
    }
    [redeemed] = await rows(session_factory, CouponRedemption)
    assert (redeemed.shop, redeemed.code, redeemed.amount, redeemed.currency) == (
        KEDI,
        "CN-7KQ2M9",
        Decimal("39.80"),
        "USD",
    )


async def test_a_shop_whose_secret_does_not_decrypt_gets_503_and_the_operator_a_log_line(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_shop(
        session_factory,
        shop="lost_shop",
        key=None,
        cipher=DataCipher([fresh_key("gone")]),  # a key this deployment does not list
        shopify_domain="lost.myshopify.com",
        shopify_secret=SECRET,
    )
    headers = shopify_headers("checkouts/create", CHECKOUT, webhook_id="wh-1")
    headers["X-Shopify-Shop-Domain"] = "lost.myshopify.com"

    response = await anonymous.post("/webhooks/shopify", content=CHECKOUT, headers=headers)

    assert response.status_code == 503  # Shopify retries; nothing is lost
    assert response.headers["Retry-After"]
    assert "stored credentials of shop 'lost_shop'" in response.json()["detail"]
    [logged] = [r for r in caplog.records if r.name == "cartnudge.api" and r.levelname == "ERROR"]
    assert "shopify_secret" in logged.getMessage()
    assert "CARTNUDGE_DATA_AT_REST_KEYS" in logged.getMessage()
    assert logged.exc_info is None
    assert await rows(session_factory, Cart) == []
