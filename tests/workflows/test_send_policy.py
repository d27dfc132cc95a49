"""What the customer notices about timing, channels and consent, on the time-skipping server:

quiet hours in their own timezone, one email per cap window across carts, consent withdrawn
mid-journey, SMS with email as fallback, and an unsubscribe ending (or narrowing) a journey.

SMS goes through the real Twilio client; only Twilio's HTTP endpoint is replaced, at the
transport.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from contract.carts import Consent
from sending.delivery import Provider
from storage.consents import record_consent
from storage.models import Message, Suppression
from storage.suppressions import suppress
from tests.factories import make_cart, make_customer
from tests.support.messaging import twilio_provider
from tests.workflows.harness import HarnessFactory, JourneyHarness, about, publish_version
from workflows.payloads import Channel, Engagement, EngagementKind, MessageStatus, Outcome

VERSION = 7  # a version of its own, made active for these tests


def journey(*, extra: str = "", steps: str) -> str:
    head = f"journey: abandoned_cart\nversion: {VERSION}\ntrigger: {{inactivity: 1h}}\n"
    return f"{head}{extra}steps:\n{steps}"


TWO_EMAILS = """\
  - send: {template: reminder, id: r1}
  - wait: 2h
  - send: {template: last_chance, id: r3}
"""

NUDGE_BY_SMS = """\
  - send: {template: reminder, id: r1}
  - wait: 2h
  - send: {channel: [sms, email], template: nudge, id: n1}
"""

SMS_TEXT = {
    "tr": "{{ customer.first_name or 'Merhaba' }}, sepetin seni bekliyor: {{ checkout_url }}"
}
SMS_TEXT["en"] = "Your cart is waiting: {{ checkout_url }}"


class TwilioStub:
    """Twilio's Messages endpoint at the HTTP transport: records each SMS it accepts."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        self.sent.append(form)
        return httpx.Response(201, json={"sid": f"SM{len(self.sent):032d}", "status": "queued"})

    def provider(self) -> Provider:
        return twilio_provider(self.handle)


Writer = Callable[..., AbstractAsyncContextManager[JourneyHarness]]


@pytest.fixture
def twilio() -> TwilioStub:
    return TwilioStub()


@pytest.fixture
def with_journey(
    harness_factory: HarnessFactory, journeys_copy: Path, twilio: TwilioStub
) -> Writer:
    """Start a worker on the journeys with this version active (and SMS through the stub)."""

    def start(text: str, **settings: Any) -> AbstractAsyncContextManager[JourneyHarness]:
        publish_version(journeys_copy, VERSION, text)
        for language, source in SMS_TEXT.items():
            sms = journeys_copy / "abandoned_cart" / "templates" / "nudge" / f"{language}.sms"
            sms.write_text(source)
        return harness_factory(
            journeys_copy, providers={Channel.SMS: twilio.provider()}, **settings
        )

    return start


async def message_rows(harness: JourneyHarness) -> list[Message]:
    async with harness.sessions() as session:
        return list((await session.scalars(select(Message).order_by(Message.id))).all())


def local_clock(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


# --- quiet hours -------------------------------------------------------------------------


async def test_a_message_due_in_quiet_hours_waits_for_the_customers_morning(
    with_journey: Writer, temporal_env: WorkflowEnvironment
) -> None:
    # The test server's clock is the real one: put the quiet window around the first send
    # (due 1h after the start) in Istanbul time, ending 5h after the start.
    now = await temporal_env.get_current_time()
    quiet_from = local_clock(now + timedelta(minutes=30), "Europe/Istanbul")
    quiet_to = local_clock(now + timedelta(hours=5), "Europe/Istanbul")
    text = journey(
        extra=f'quiet_hours: {{from: "{quiet_from}", to: "{quiet_to}"}}\n', steps=TWO_EMAILS
    )
    istanbul = make_cart(customer=make_customer(id="c-ist", email="ist@example.com"))
    tokyo = make_cart(  # 6h ahead: the same moment is outside the window there
        customer=make_customer(id="c-tyo", email="tyo@example.com", timezone="Asia/Tokyo")
    )
    no_zone = make_cart(  # falls back to the shop's timezone
        customer=make_customer(id="c-none", email="none@example.com", timezone=None)
    )
    async with with_journey(text, shop_timezone="Europe/Istanbul", email_cap_hours=0) as harness:
        handles = {
            name: await harness.start(cart, cart_id=name)
            for name, cart in [("ist", istanbul), ("tyo", tokyo), ("none", no_zone)]
        }
        await harness.advance(hours=1, minutes=5)
        await harness.mailbox.wait_for_messages(1)
        assert [m["To"] for m in harness.emails] == ["Ayşe <tyo@example.com>"]

        state = await harness.state(handles["ist"])
        [r1] = state.messages
        assert r1.status == MessageStatus.DEFERRED
        assert r1.deferred_until is not None
        assert local_clock(r1.deferred_until, "Europe/Istanbul") == quiet_to
        assert state.current_step is not None and "quiet hours" in state.current_step

        await harness.advance(hours=4)
        await harness.mailbox.wait_for_messages(4)  # Tokyo's r3 too, two hours after its r1
        for name in ("ist", "none"):
            [first] = (await harness.state(handles[name])).messages
            assert first.status == MessageStatus.SENT and first.sent_at is not None
            assert about(timedelta(0), first.sent_at - r1.deferred_until)


# --- frequency caps ----------------------------------------------------------------------


async def test_two_carts_of_one_customer_get_one_email_per_cap_window(
    with_journey: Writer,
) -> None:
    steps = "  - send: {template: reminder, id: r1}\n"
    async with with_journey(journey(steps=steps), email_cap_hours=16) as harness:
        first = await harness.start(make_cart(), cart_id="cart-a")
        second = await harness.start(make_cart(minutes=1), cart_id="cart-b")
        await harness.advance(hours=1, minutes=5)
        await harness.mailbox.wait_for_messages(1)
        states = [await harness.state(h) for h in (first, second)]
        statuses = sorted(s.messages[0].status for s in states)
        assert statuses == [MessageStatus.DEFERRED, MessageStatus.SENT]
        waiting = next(s for s in states if s.messages[0].status == MessageStatus.DEFERRED)
        assert "frequency cap: one email per 16h" in (waiting.messages[0].reason or "")
        assert len(harness.emails) == 1

        await harness.advance(hours=15)
        assert len(harness.emails) == 1  # still inside the window
        await harness.advance(hours=1, minutes=5)
        await harness.mailbox.wait_for_messages(2)
        sent = [(await harness.state(h)).messages[0].sent_at for h in (first, second)]
        a, b = sorted(at for at in sent if at is not None)
        # the slot counts from when the first was due; it went out milliseconds later
        assert about(timedelta(hours=16) - timedelta(seconds=30), b - a)


async def test_a_journey_that_skips_capped_messages_says_so_in_its_state(
    with_journey: Writer,
) -> None:
    steps = "  - send: {template: reminder, id: r1}\n"
    text = journey(extra="when_capped: skip\n", steps=steps)
    async with with_journey(text, email_cap_hours=16) as harness:
        first = await harness.start(make_cart(), cart_id="cart-a")
        second = await harness.start(make_cart(minutes=1), cart_id="cart-b")
        await harness.advance(hours=1, minutes=5)
        results = [await harness.finish(h) for h in (first, second)]
        statuses = sorted(r.messages[0].status for r in results)
        assert statuses == [MessageStatus.SENT, MessageStatus.SKIPPED]
        skipped = next(r for r in results if r.messages[0].status == MessageStatus.SKIPPED)
        assert skipped.messages[0].reason == "frequency cap: one email per 16h"
        assert len(harness.emails) == 1


# --- consent -----------------------------------------------------------------------------


async def test_consent_withdrawn_mid_journey_stops_the_next_email(with_journey: Writer) -> None:
    cart = make_cart()
    async with with_journey(journey(steps=TWO_EMAILS), email_cap_hours=0) as harness:
        handle = await harness.through_first_email(cart)

        # What the API stores when the shop tells us (on any cart, or the consent route).
        async with harness.sessions() as session:
            await record_consent(
                session,
                shop=cart.shop,
                customer_id=cart.customer.id,
                consent={"email": False},
                updated_at=cart.updated_at + timedelta(minutes=30),
            )
            await session.commit()

        await harness.advance(hours=2)
        result = await harness.finish(handle)
        r1, r3 = result.messages
        assert (r1.status, r3.status) == (MessageStatus.SENT, MessageStatus.SKIPPED)
        assert r3.reason == "email: no consent"
        assert len(harness.emails) == 1


# --- channel preference ------------------------------------------------------------------


async def test_sms_first_and_email_when_the_customer_has_no_phone(
    with_journey: Writer, twilio: TwilioStub
) -> None:
    with_phone = make_cart(
        customer=make_customer(
            id="c-phone", phone="+905321234567", consent=Consent(email=True, sms=True)
        )
    )
    without_phone = make_cart(customer=make_customer(id="c-mail", email="mail@example.com"))
    async with with_journey(journey(steps=NUDGE_BY_SMS), email_cap_hours=0) as harness:
        by_sms = await harness.start(with_phone, cart_id="cart-sms")
        by_email = await harness.start(without_phone, cart_id="cart-mail")
        await harness.advance(hours=3, minutes=10)
        await harness.mailbox.wait_for_messages(3)  # two r1 + one nudge by email

        sms_state = await harness.state(by_sms)
        assert sms_state.messages[1].channel == "sms"
        assert sms_state.messages[1].status == MessageStatus.SENT
        [sms] = twilio.sent
        assert sms["To"] == "+905321234567"
        assert sms["Body"].startswith("Ayşe, sepetin seni bekliyor: http://cartnudge.test/t/s/")
        assert "RET" in sms["Body"]  # opt-out instructions are always there

        mail_state = await harness.state(by_email)
        assert mail_state.messages[1].channel == "email"
        assert sorted(m["To"] for m in harness.emails) == [
            "Ayşe <ayse@example.com>",
            "Ayşe <mail@example.com>",
            "Ayşe <mail@example.com>",
        ]


async def test_no_reachable_channel_skips_with_every_reason(
    with_journey: Writer, twilio: TwilioStub
) -> None:
    cart = make_cart(customer=make_customer(phone="+905321234567", consent=Consent(sms=False)))
    steps = "  - send: {channel: [sms, email], template: nudge, id: n1}\n"
    async with with_journey(journey(steps=steps)) as harness:
        result = await (await harness.start(cart)).result()
        [n1] = result.messages
        assert n1.status == MessageStatus.SKIPPED
        assert n1.reason == "sms: no consent; email: no consent"
        assert twilio.sent == [] and harness.emails == []


# --- unsubscribe -------------------------------------------------------------------------


async def test_an_unsubscribe_ends_the_journey(with_journey: Writer) -> None:
    async with with_journey(journey(steps=TWO_EMAILS), email_cap_hours=0) as harness:
        handle = await harness.through_first_email(make_cart())
        await handle.signal(
            "engagement",
            Engagement(message_id="r1", kind=EngagementKind.UNSUBSCRIBED, channel="email"),
        )
        result = await harness.finish(handle)
        assert result.outcome == Outcome.UNSUBSCRIBED
        assert [m.message_id for m in result.messages] == ["r1"]
        assert len(harness.emails) == 1


async def test_after_an_unsubscribe_a_continuing_journey_uses_the_other_channel(
    with_journey: Writer, twilio: TwilioStub
) -> None:
    cart = make_cart(
        customer=make_customer(phone="+905321234567", consent=Consent(email=True, sms=True))
    )
    steps = """\
  - send: {template: reminder, id: r1}
  - wait: 2h
  - send: {channel: [email, sms], template: nudge, id: n1}
  - send: {template: last_chance, id: r3}
"""
    text = journey(extra="on_suppression: continue\n", steps=steps)
    async with with_journey(text, email_cap_hours=0, sms_cap_hours=0) as harness:
        handle = await harness.through_first_email(cart)
        # What the unsubscribe link does: the suppression row, then the signal.
        async with harness.sessions() as session:
            await suppress(
                session,
                shop=cart.shop,
                channel="email",
                address="AYSE@example.com",  # any spelling of the address
                reason="unsubscribed",
                source="link",
            )
            await session.commit()
        await handle.signal(
            "engagement",
            Engagement(message_id="r1", kind=EngagementKind.UNSUBSCRIBED, channel="email"),
        )
        await harness.advance(hours=2)
        result = await harness.finish(handle)

        r1, n1, r3 = result.messages
        assert (n1.channel, n1.status) == ("sms", MessageStatus.SENT)
        assert (r3.status, r3.reason) == (MessageStatus.SKIPPED, "email: address unsubscribed")
        assert len(harness.emails) == 1 and len(twilio.sent) == 1
        async with harness.sessions() as session:
            assert (await session.scalar(select(Suppression.address))) == "ayse@example.com"
        rows = await message_rows(harness)
        assert [(r.channel, r.status) for r in rows] == [
            ("email", "sent"),
            ("sms", "sent"),
            ("email", "skipped"),
        ]
