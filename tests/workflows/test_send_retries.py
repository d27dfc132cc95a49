"""A send retried for hours still judges quiet hours when it goes out, and never loops for good."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from channels.smtp import SmtpEmailSender
from sending.composition import Composer
from sending.delivery import Provider
from tests.factories import add_shop, make_cart
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, settings_for_tests
from tests.workflows.harness import JourneyHarness, about, publish_version
from workflows.payloads import Cancellation, Channel, MessageStatus, Outcome

ISTANBUL = ZoneInfo("Europe/Istanbul")


async def test_a_send_held_by_the_order_lookup_into_the_night_waits_for_the_morning(
    temporal_env: WorkflowEnvironment,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    journeys_copy: Path,
) -> None:
    # r1 is due 1 h after the start, before the quiet hours (2 h to 8 h after the start);
    # the shop's order lookup is down until 4 h, inside them.
    start = await temporal_env.get_current_time()
    quiet_from = (start + timedelta(hours=2)).astimezone(ISTANBUL).strftime("%H:%M")
    quiet_to = (start + timedelta(hours=8)).astimezone(ISTANBUL).strftime("%H:%M")
    publish_version(
        journeys_copy,
        7,
        "journey: abandoned_cart\nversion: 7\ntrigger: {inactivity: 1h}\n"
        f'quiet_hours: {{from: "{quiet_from}", to: "{quiet_to}"}}\n'
        "steps:\n  - send: {template: reminder, id: r1}\n",
    )
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        order_lookup_url="https://shop.example/orders",
        order_lookup_token="t",
    )
    lookup_down = True

    def shop_endpoint(request: httpx.Request) -> httpx.Response:
        if lookup_down:
            return httpx.Response(503, headers={"Retry-After": "60"})
        return httpx.Response(404)  # not bought

    settings = settings_for_tests(
        journeys_dir=journeys_copy, smtp_url=smtp_server.url, email_cap_hours=0
    )
    email = Provider("smtp", SmtpEmailSender.from_url(smtp_server.url))
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(shop_endpoint)) as http,
        running_worker(
            temporal_env.client,
            settings=settings,
            session_factory=session_factory,
            providers={Channel.EMAIL: email},
            http=http,
        ),
    ):
        harness = JourneyHarness(temporal_env, settings, session_factory, smtp_server)
        handle = await harness.start(make_cart())  # the customer is in Europe/Istanbul
        await harness.advance(hours=4)
        lookup_down = False
        await harness.advance(minutes=10)
        assert harness.emails == []  # the lookup answered inside the quiet hours

        await harness.advance(hours=4)
        await harness.mailbox.wait_for_messages(1)
        sent = await harness.send_times(handle)
        # at the end of the quiet hours, which are written to the minute
        assert about(timedelta(hours=8) - timedelta(minutes=1), sent["r1"])


async def test_a_send_that_fails_unforeseen_every_time_is_given_up_and_the_journey_goes_on(
    harness: JourneyHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Composer, **_: Any) -> Any:
        raise RuntimeError("a bug in composition")

    monkeypatch.setattr(Composer, "compose", broken)
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)  # r1 falls due after the 1 h inactivity
    await harness.advance(hours=7)

    state = await harness.state(handle)
    [r1] = [message for message in state.messages if message.message_id == "r1"]
    assert r1.status == MessageStatus.FAILED
    assert r1.reason is not None and r1.reason.startswith("gave up after 6h: RuntimeError")
    assert harness.emails == []

    await handle.signal("cancel", Cancellation())
    result = await harness.finish(handle)
    assert result.outcome == Outcome.CANCELLED
