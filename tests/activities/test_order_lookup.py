"""The send activity's order check: our records, then the shop's own order lookup.

A bought cart gets no message (the result is BOUGHT, with the order); a lookup that can not
answer holds the message. The shop's endpoint is replaced at the HTTP transport only; the
database is the real one, and nothing listens at the SMTP URL unless a test sends.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.messaging import BROKEN_LOOKUP_RETRY
from sending.order_lookup import ShopOrderLookup
from storage.carts import cart_history
from storage.models import ContactCap, Message, Order
from tests.factories import add_order, add_shop
from tests.support.database import checked_out
from tests.support.endpoints import RecordingEndpoint
from tests.support.messaging import SendActivity, send_activity, send_request
from tests.support.smtp import SmtpServer
from workflows.payloads import Channel, MessageStatus, OrderPlaced, SendResult

LOOKUP_URL = "https://shop.example/cartnudge/orders"
TOKEN = "lookup-token-0123456789"
NOBODY_LISTENS = "smtp://127.0.0.1:9"  # a send that got past the check would fail loudly
ORDER_JSON = {
    "order_id": "SO-1001",
    "total": "1299.90",
    "currency": "TRY",
    "placed_at": "2026-11-22T13:05:00+03:00",
}


class ShopEndpoint(RecordingEndpoint):
    """The shop's order lookup, remembering every request."""

    def lookup(self, **options: Any) -> ShopOrderLookup:
        return ShopOrderLookup(self.client(), **options)


def answering(status: int, **response: Any) -> ShopEndpoint:
    return ShopEndpoint(lambda request: httpx.Response(status, **response))


def failing(error: type[httpx.RequestError]) -> ShopEndpoint:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("no answer", request=request)

    return ShopEndpoint(handler)


async def shop_with_lookup(
    session_factory: async_sessionmaker[AsyncSession], url: str = LOOKUP_URL
) -> None:
    await add_shop(
        session_factory, shop="demo_shop", key=None, order_lookup_url=url, order_lookup_token=TOKEN
    )


def sends(
    session_factory: async_sessionmaker[AsyncSession],
    endpoint: ShopEndpoint,
    smtp_url: str = NOBODY_LISTENS,
    **lookup: Any,
) -> SendActivity:
    return send_activity(session_factory, smtp_url=smtp_url, order_lookup=endpoint.lookup(**lookup))


async def bought(activities: SendActivity, step: str = "steps[0]") -> OrderPlaced:
    """The order the send's check found; fails if the send did anything else."""
    result: SendResult = await activities.send(send_request(step=step))
    assert result.status == MessageStatus.BOUGHT, result
    assert result.order is not None
    return result.order


async def stored_orders(session_factory: async_sessionmaker[AsyncSession]) -> list[Order]:
    async with session_factory() as session:
        return list((await session.scalars(select(Order))).all())


# --- the endpoint knows an order we never received -----------------------------------------


async def test_an_order_only_the_shop_knows_stops_the_message_and_is_stored(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    endpoint = answering(200, json=ORDER_JSON)
    # with a frequency cap: a bought cart's message must not take the customer's slot
    activities = send_activity(
        session_factory,
        smtp_url=NOBODY_LISTENS,
        caps={Channel.EMAIL: timedelta(hours=16)},
        order_lookup=endpoint.lookup(),
    )

    found = await bought(activities)

    assert found == OrderPlaced(
        order_id="SO-1001",
        total=Decimal("1299.90"),
        currency="TRY",
        placed_at=datetime(2026, 11, 22, 10, 5, tzinfo=UTC),
    )
    [asked] = endpoint.requests
    assert asked.method == "GET"
    assert asked.url.copy_with(query=None) == LOOKUP_URL
    assert asked.url.params["cart_id"] == "cart-1"
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"
    [row] = await stored_orders(session_factory)
    assert (row.shop, row.order_id, row.cart_id, row.total, row.currency) == (
        "demo_shop",
        "SO-1001",
        "cart-1",
        Decimal("1299.90"),
        "TRY",
    )
    # the API sees the cart as bought (it never starts a journey for it again)
    async with session_factory() as session:
        history = await cart_history(
            session, shop="demo_shop", cart_id="cart-1", cooldown=timedelta(0)
        )
        assert history.bought
        # the step's outbox row is settled, not left looking like a send on its way
        [message] = (await session.scalars(select(Message))).all()
        assert (message.status, message.reason) == ("skipped", "bought: order SO-1001")
        assert (await session.scalars(select(ContactCap))).all() == []


async def test_once_stored_the_order_is_answered_without_asking_the_shop_again(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    endpoint = answering(200, json=ORDER_JSON)
    activities = sends(session_factory, endpoint)

    first = await bought(activities)
    lost_answer = await bought(activities)  # Temporal retrying the same step
    next_step = await bought(activities, step="steps[2]")

    assert first.order_id == lost_answer.order_id == next_step.order_id == "SO-1001"
    assert len(endpoint.requests) == 1


async def test_an_order_we_already_hold_under_its_id_is_not_stored_twice(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    # the shop sent the order with another cart id
    await add_order(session_factory, order_id="SO-1001", cart_id="cart-0", total="1299.90")

    found = await bought(sends(session_factory, answering(200, json=ORDER_JSON)))

    assert found.order_id == "SO-1001"  # still: no reminder
    [row] = await stored_orders(session_factory)
    assert row.cart_id == "cart-0"


async def test_a_total_sent_as_a_json_number_keeps_its_cents(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    body = b'{"order_id": "SO-1002", "total": 1299.90, "currency": "EUR"}'
    endpoint = answering(200, content=body, headers={"Content-Type": "application/json"})

    found = await bought(sends(session_factory, endpoint))

    assert (found.total, found.currency, found.placed_at) == (Decimal("1299.90"), "EUR", None)


# --- the endpoint says: not bought -----------------------------------------------------------


async def test_404_means_not_bought_and_the_send_goes_on(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shop_with_lookup(session_factory)
    endpoint = answering(404, json={"error": "no order for this cart"})

    result = await sends(session_factory, endpoint, smtp_server.url).send(send_request())

    assert (result.status, result.order) == (MessageStatus.SENT, None)
    assert len(await smtp_server.wait_for_messages(1)) == 1
    assert len(endpoint.requests) == 1
    assert await stored_orders(session_factory) == []


async def test_a_shop_without_a_lookup_url_is_never_asked(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None)
    endpoint = answering(200, json=ORDER_JSON)

    activities = sends(session_factory, endpoint, smtp_server.url)
    without_url = await activities.send(send_request())
    without_row = await activities.send(send_request(shop="no_row_shop", step="steps[2]"))

    assert without_url.status == without_row.status == MessageStatus.SENT
    assert endpoint.requests == []


async def test_an_order_in_our_records_needs_no_http_call(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    await add_order(session_factory, order_id="o-1", cart_id="cart-1", total="10.00")
    endpoint = answering(404)

    found = await bought(sends(session_factory, endpoint))

    assert found.order_id == "o-1"
    assert endpoint.requests == []


# --- the endpoint can not answer now: the send waits, the check is retried -------------------


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ConnectError])
async def test_no_answer_is_retried_and_never_read_as_not_bought(
    session_factory: async_sessionmaker[AsyncSession], error: type[httpx.RequestError]
) -> None:
    await shop_with_lookup(session_factory)

    with pytest.raises(ApplicationError) as raised:
        await sends(session_factory, failing(error)).send(send_request())

    assert raised.value.type == "OrderLookupUnavailable"
    assert not raised.value.non_retryable
    assert "demo_shop" in str(raised.value) and LOOKUP_URL in str(raised.value)


async def test_a_slow_endpoint_fails_the_attempt_within_the_lookup_timeout(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(404)

    started = asyncio.get_running_loop().time()
    with pytest.raises(ApplicationError) as raised:
        await sends(session_factory, ShopEndpoint(slow), timeout=0.1).send(send_request())

    assert asyncio.get_running_loop().time() - started < 2
    assert raised.value.type == "OrderLookupUnavailable"
    assert "no answer within 0.1s" in str(raised.value)


@pytest.mark.parametrize(("status", "delay"), [(503, 30), (429, 7)])
async def test_busy_or_down_is_retried_when_the_shop_says(
    session_factory: async_sessionmaker[AsyncSession], status: int, delay: int
) -> None:
    await shop_with_lookup(session_factory)
    endpoint = answering(status, headers={"Retry-After": str(delay)}, text="maintenance")

    with pytest.raises(ApplicationError) as raised:
        await sends(session_factory, endpoint).send(send_request())

    assert raised.value.type == "OrderLookupUnavailable"
    assert raised.value.next_retry_delay == timedelta(seconds=delay)
    assert f"HTTP {status}" in str(raised.value)
    assert await stored_orders(session_factory) == []


# --- a broken endpoint: reminders are held, and the on-call engineer is told ----------------


@pytest.mark.parametrize(
    ("response", "shown"),
    [
        (httpx.Response(401, text="bad token"), "HTTP 401: bad token"),
        (httpx.Response(403), "HTTP 403"),
        (httpx.Response(302, headers={"Location": "/login"}), "HTTP 302"),
        (httpx.Response(200, text="<html>Login</html>"), "not an order"),
        (httpx.Response(200, json={"order": None}), "not an order"),
        (httpx.Response(200, json={**ORDER_JSON, "total": "-5"}), "negative"),
        (httpx.Response(200, json={**ORDER_JSON, "cart_id": "cart-2"}), "answered for 'cart-2'"),
    ],
    ids=["401", "403", "redirect", "html", "order-null", "negative-total", "other-cart"],
)
async def test_a_broken_endpoint_holds_the_send_and_names_the_shop_and_url(
    session_factory: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    response: httpx.Response,
    shown: str,
) -> None:
    await shop_with_lookup(session_factory)
    endpoint = ShopEndpoint(lambda request: response)

    with caplog.at_level(logging.ERROR), pytest.raises(ApplicationError) as raised:
        await sends(session_factory, endpoint).send(send_request())

    failure = raised.value.message
    assert raised.value.type == "OrderLookupBroken"
    assert not raised.value.non_retryable  # never "not bought": retried, slowly
    assert raised.value.next_retry_delay == BROKEN_LOOKUP_RETRY
    assert f"order lookup of shop demo_shop at {LOOKUP_URL}" in failure
    assert shown in failure
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure in logged.getMessage() and "held" in logged.getMessage()
    assert await stored_orders(session_factory) == []


async def test_secrets_in_the_lookup_url_stay_out_of_errors(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory, url="https://shop.example/orders?key=s3cret")
    endpoint = answering(401)

    with pytest.raises(ApplicationError) as raised:
        await sends(session_factory, endpoint).send(send_request())

    assert "https://shop.example/orders" in str(raised.value)
    assert "s3cret" not in str(raised.value)
    [asked] = endpoint.requests  # the shop's own query parameters are still sent
    assert (asked.url.params["key"], asked.url.params["cart_id"]) == ("s3cret", "cart-1")


@pytest.mark.parametrize("url", ["shop.example/orders", "ftp://shop.example/orders"])
async def test_a_lookup_url_that_is_not_one_is_reported_as_broken(
    session_factory: async_sessionmaker[AsyncSession], url: str
) -> None:
    await shop_with_lookup(session_factory, url=url)
    endpoint = answering(404)

    with pytest.raises(ApplicationError) as raised:
        await sends(session_factory, endpoint).send(send_request())

    assert raised.value.type == "OrderLookupBroken"
    assert "order lookup of shop demo_shop" in raised.value.message
    assert endpoint.requests == []


async def test_a_worker_without_an_http_client_refuses_to_skip_the_check(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)

    with pytest.raises(ApplicationError) as raised:
        await send_activity(session_factory, smtp_url=NOBODY_LISTENS).send(send_request())

    assert raised.value.type == "OrderLookupNotConfigured"
    assert "demo_shop" in str(raised.value)


# --- the send never gives up on the check, and holds no connection while asking ----------


async def test_without_retry_after_the_check_is_asked_again_at_most_a_minute_apart(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await shop_with_lookup(session_factory)
    activities = sends(session_factory, answering(502))

    delays = []
    for attempt in (1, 2, 3, 12):
        with pytest.raises(ApplicationError) as raised:
            await activities.send(send_request(), attempt=attempt)
        delays.append(raised.value.next_retry_delay)

    assert delays == [timedelta(seconds=s) for s in (1, 2, 4, 60)]


async def test_a_lookup_broken_for_days_still_holds_the_message_and_never_fails_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # The provider's give-up (6h of transient failures) does not apply to the order check:
    # without an answer the message neither goes out nor is recorded as failed.
    await shop_with_lookup(session_factory)
    activities = sends(session_factory, answering(401))

    with pytest.raises(ApplicationError) as raised:
        await activities.send(send_request(), attempt=300, retried_for=timedelta(days=2))

    assert raised.value.type == "OrderLookupBroken"
    async with session_factory() as session:
        [message] = (await session.scalars(select(Message))).all()
    assert message.status == "pending"


async def test_no_database_connection_waits_on_the_shops_endpoint(
    session_factory: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    smtp_server: SmtpServer,
) -> None:
    await shop_with_lookup(session_factory)
    held: list[int] = []

    def not_bought(request: httpx.Request) -> httpx.Response:
        held.append(checked_out(db_engine))
        return httpx.Response(404)

    result = await sends(session_factory, ShopEndpoint(not_bought), smtp_server.url).send(
        send_request()
    )

    assert result.status == MessageStatus.SENT
    assert held == [0]
