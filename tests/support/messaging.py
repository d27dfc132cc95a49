"""The send activity for tests: the worker's wiring, pointed at test clients, run the way
Temporal runs it (in an activity context, so heartbeats and attempt info work)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.common import MetricMeter
from temporalio.testing import ActivityEnvironment

from activities.messaging import MessagingActivities
from catalog.lookup import CatalogLookup
from channels.smtp import SmtpEmailSender
from channels.twilio import TwilioSender
from contract.carts import Consent
from coupons.issuing import CouponIssuer
from data_at_rest.cipher import DataCipher
from journey_schema.journey_files import load_release
from journey_schema.release import Release, release_id
from releases.source import FixedRelease
from sending.composition import LinkSigning
from sending.consent_registry import ConsentRegistry
from sending.delivery import Provider
from sending.hand_over_journal import HandOverJournal
from sending.order_lookup import ShopOrderLookup
from sending.policy import SendRules
from storage.outbox import Outbox
from tests.factories import make_cart, make_customer
from tests.support.data_keys import dev_cipher
from workflows.payloads import Channel, SendRequest, SendResult

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"
MAIL_FROM = "Koşu Dükkanı <hello@shop.example>"
LINKS = LinkSigning(public_url="http://cartnudge.test", secret="s" * 40)
# When the first attempt of every send was scheduled (server time).
FIRST_ATTEMPT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _test_release() -> Release:
    """abandoned_cart v2's templates (email and SMS parts), the Turkish nudge SMS short."""
    shipped = load_release(REPO_JOURNEYS, "abandoned_cart", 2, channels=frozenset(Channel))
    templates = {**shipped.templates, "nudge/tr.sms": "Sepetin: {{ checkout_url }}"}
    return Release(
        id=release_id(shipped.definition, templates),
        definition=shipped.definition,
        templates=templates,
    )


# The release every `send_request()` names, served by every `send_activity()`.
TEST_RELEASE = _test_release()


def send_request(**overrides: Any) -> SendRequest:
    """Step r1 (reminder, by email) of abandoned_cart, for `make_cart()`."""
    values: dict[str, Any] = {
        "workflow_id": "cart-demo_shop-cart-1",
        "run_id": "run-1",
        "shop": "demo_shop",
        "cart_id": "cart-1",
        "journey": "abandoned_cart",
        "version": 1,
        "step": "steps[0]",
        "message_id": "r1",
        "channels": [Channel.EMAIL],
        "template": "reminder",
        "release_id": TEST_RELEASE.id,
        "default_locale": "en",
        "cart": make_cart(),
    }
    return SendRequest(**{**values, **overrides})


def sms_request(**overrides: Any) -> SendRequest:
    """The nudge by SMS; its Turkish text is `Sepetin: {{ checkout_url }}` (TEST_RELEASE)."""
    cart = make_cart(
        customer=make_customer(phone="+905321234567", consent=Consent(email=True, sms=True))
    )
    return send_request(channels=["sms"], template="nudge", cart=cart, **overrides)


@dataclass
class SendActivity:
    activities: MessagingActivities
    # A runtime's meter, to scrape what the attempts counted (the test environment's: none).
    metric_meter: MetricMeter | None = None

    async def send(
        self, request: SendRequest, *, attempt: int = 1, retried_for: timedelta = timedelta(0)
    ) -> SendResult:
        """One attempt; `retried_for`: how long after the first this attempt was scheduled."""
        env = ActivityEnvironment()
        env.info = dataclasses.replace(
            env.info,
            activity_type="send_message",
            attempt=attempt,
            scheduled_time=FIRST_ATTEMPT,
            current_attempt_scheduled_time=FIRST_ATTEMPT + retried_for,
            heartbeat_timeout=timedelta(seconds=10),
        )
        if self.metric_meter is not None:
            env.metric_meter = self.metric_meter
        result: SendResult = await env.run(self.activities.send_message, request)
        return result


def send_activity(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    smtp_url: str | None = None,
    providers: Mapping[Channel, Provider] | None = None,
    mail_from: str = MAIL_FROM,
    shop_timezone: str = "UTC",
    caps: Mapping[Channel, timedelta] | None = None,
    registry: ConsentRegistry | None = None,
    order_lookup: ShopOrderLookup | None = None,
    catalog: CatalogLookup | None = None,
    release: Release = TEST_RELEASE,
    cipher: DataCipher | None = None,
    coupons: CouponIssuer | None = None,
    provider_silence: timedelta = timedelta(minutes=10),
    clock: Callable[[], datetime] | None = None,
    journal: HandOverJournal | None = None,
) -> SendActivity:
    """The send activity; `smtp_url` adds email through SMTP to `providers`. Another
    `release` is the one its requests must name (`send_request(release_id=release.id)`)."""
    email = (
        {Channel.EMAIL: Provider("smtp", SmtpEmailSender.from_url(smtp_url))} if smtp_url else {}
    )
    return SendActivity(
        MessagingActivities(
            outbox=Outbox(session_factory),
            session_factory=session_factory,
            providers={**email, **(providers or {})},
            mail_from=mail_from,
            links=LINKS,
            rules=SendRules(shop_timezone=shop_timezone, caps=caps or {}),
            registry=registry,
            order_lookup=order_lookup,
            catalog=catalog,
            releases=FixedRelease(release),
            cipher=cipher or dev_cipher(),
            coupons=coupons,
            provider_silence=provider_silence,
            clock=clock or (lambda: datetime.now(UTC)),
            journal=journal,
        )
    )


def twilio_provider(
    handler: Callable[[httpx.Request], Any], *, status_callback_url: str | None = None
) -> Provider:
    """Twilio as the SMS provider, its API answered by `handler` (an httpx MockTransport's);
    with `status_callback_url` it reports status events there, as configured in production."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sender = TwilioSender(
        client=client,
        account_sid="AC" + "0" * 32,
        auth_token="twilio-test-token",
        sender="+15005550006",
        api_url="https://api.twilio.test",
        status_callback_url=status_callback_url,
    )
    return Provider("twilio", sender)
