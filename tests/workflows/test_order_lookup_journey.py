"""A lost purchase event: the shop's order lookup endpoint still stops the reminders.

The shipped abandoned_cart v1 (r1 an hour after the cart goes quiet, r2b a day later), the
real worker wiring, database and SMTP; only the shop's endpoint is an httpx.MockTransport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from storage.models import Order
from tests.factories import add_shop, make_cart
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, settings_for_tests, smtp_email
from tests.workflows.harness import JourneyHarness, about
from workflows.payloads import Outcome

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"
LOOKUP_URL = "https://shop.example/cartnudge/orders"


class ShopEndpoint:
    """The shop's order lookup: no order (404) until `bought`; `down` answers 503."""

    def __init__(self) -> None:
        self.bought = False
        self.down = False
        self.broken = False
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.params["cart_id"])
        assert request.headers["Authorization"] == "Bearer lookup-token"
        if self.down:
            return httpx.Response(503, headers={"Retry-After": "60"})
        if self.broken:
            return httpx.Response(401, text="bad token")
        if not self.bought:
            return httpx.Response(404)
        return httpx.Response(200, json={"order_id": "SO-7", "total": "1299.90", "currency": "TRY"})


@pytest.fixture
def endpoint() -> ShopEndpoint:
    return ShopEndpoint()


@pytest.fixture
async def harness(
    temporal_env: WorkflowEnvironment,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    endpoint: ShopEndpoint,
) -> AsyncIterator[JourneyHarness]:
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        order_lookup_url=LOOKUP_URL,
        order_lookup_token="lookup-token",
    )
    settings = settings_for_tests(journeys_dir=REPO_JOURNEYS, smtp_url=smtp_server.url)
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as http,
        running_worker(
            temporal_env.client,
            settings=settings,
            session_factory=session_factory,
            providers=smtp_email(smtp_server.url),
            http=http,
        ),
    ):
        harness = JourneyHarness(temporal_env, settings, session_factory, smtp_server)
        await harness.go_live(1)  # the shipped v1, not v3 (an experiment with a holdout)
        yield harness


async def test_an_order_only_the_shops_endpoint_knows_stops_the_next_reminder(
    harness: JourneyHarness, endpoint: ShopEndpoint
) -> None:
    handle = await harness.through_first_email(make_cart())  # the endpoint said 404: r1 went out
    endpoint.bought = True  # the customer bought; the "purchased" event never reached us

    state = await harness.finish(handle)

    assert state.outcome == Outcome.RECOVERED
    assert (state.order_id, state.revenue) == ("SO-7", Decimal("1299.90"))
    assert [m.message_id for m in state.messages] == ["r1"]
    assert len(harness.emails) == 1
    assert set(endpoint.asked) == {"cart-1"} and len(endpoint.asked) == 2
    # asked inside the send activities; the journey ended when r2b's send found the order
    assert await harness.scheduled_activities(handle) == ["send_message", "send_message"]
    assert about(timedelta(hours=25), await harness.lifetime(handle))
    async with harness.sessions() as session:
        [order] = (await session.scalars(select(Order))).all()
    assert (order.order_id, order.cart_id) == ("SO-7", "cart-1")


async def test_an_unreachable_endpoint_holds_the_reminder_until_it_answers(
    harness: JourneyHarness, endpoint: ShopEndpoint
) -> None:
    endpoint.down = True
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)

    assert harness.emails == []  # r1 is due, but whether the cart was bought is unknown
    assert len(endpoint.asked) >= 1
    endpoint.down = False
    await harness.advance(minutes=2)  # past the Retry-After of the last 503

    [email] = await harness.mailbox.wait_for_messages(1)
    assert str(email["X-Cartnudge-Message"]) == "abandoned_cart/v1/r1"
    state = await harness.state(handle)
    assert [m.message_id for m in state.messages] == ["r1"]


async def test_a_broken_endpoint_holds_the_reminder_for_as_long_as_it_stays_broken(
    harness: JourneyHarness, endpoint: ShopEndpoint
) -> None:
    # Longer than the 6h after which a send gives up on a provider: the order check is never
    # given up on, so the reminder neither goes out unchecked nor is recorded as failed.
    endpoint.broken = True
    handle = await harness.start(make_cart())
    await harness.advance(hours=9)

    assert harness.emails == []
    state = await harness.state(handle)
    assert state.messages == [] and state.outcome is None
    described = await handle.describe()
    [pending] = described.raw_description.pending_activities
    assert pending.activity_type.name == "send_message"
    assert pending.last_failure.application_failure_info.type == "OrderLookupBroken"
    assert pending.attempt > 40  # every 10 minutes for 8 hours

    endpoint.broken = False
    await harness.advance(minutes=11)  # the next attempt, 10 minutes after the last
    [email] = await harness.mailbox.wait_for_messages(1)
    assert str(email["X-Cartnudge-Message"]) == "abandoned_cart/v1/r1"
