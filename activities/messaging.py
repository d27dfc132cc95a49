"""The send activity: one journey step's message, to the customer as they are now, once.

At send time, not only at entry, it checks quiet hours, picks the first channel of the
step's preference the customer can be reached on (address, consent as the shop last sent
it, not suppressed, the consent registry agrees), takes the customer's frequency-cap slot,
renders, and delivers through the outbox (storage/outbox.py), so no step goes out twice.

The shop's profile (the `shops` table) gives the timezone quiet hours fall back to when the
customer has none, and the From of its emails; a shop without a row gets the settings'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import quiet_hours
from activities.consent_registry import ConsentRegistry
from activities.outgoing_messages import email_out, push_out, sms_out, webhook_out
from channels.errors import PermanentChannelError, TransientChannelError
from channels.outgoing import EmailOut, PushOut, Sender, SmsOut, WebhookOut
from journey_schema.durations import format_duration
from rendering.context import message_context
from rendering.links import MessageLinks
from rendering.locales import language_of
from rendering.message import RenderError, TemplateMissing, render_message, render_parts
from rendering.sms import with_opt_out
from storage.caps import FrequencyCaps
from storage.consents import current_consent
from storage.outbox import PENDING, SENDING, Outbox
from storage.shops import ShopProfile, get_shop
from storage.suppressions import suppression_reason
from tracking.links import tracked_links
from tracking.unsubscribe import UnsubscribePayload, unsubscribe_url
from workflows import names
from workflows.payloads import MessageStatus, SendRequest, SendResult, Shopper, WhenCapped

T = TypeVar("T")

# What the outbox row records about the step, straight from the request.
OUTBOX_COLUMNS = {
    "workflow_id", "run_id", "shop", "cart_id", "journey", "version",
    "step", "message_id", "template",
}  # fmt: skip
WEBHOOK = "webhook"
HEARTBEAT_EVERY = 2.0  # seconds; the workflow's heartbeat timeout is a few times this

Outgoing = EmailOut | SmsOut | PushOut | WebhookOut


@dataclass(frozen=True)
class Provider:
    """The configured provider of one channel."""

    name: str  # "smtp", "sendgrid", "twilio"... recorded on each message
    sender: Sender[Any]


@dataclass(frozen=True)
class LinkSigning:
    """Where tracking and unsubscribe links point and the key that signs them."""

    public_url: str
    secret: str


@dataclass(frozen=True)
class SendPolicy:
    shop_timezone: str  # for shops without a row in `shops`; a shop's own timezone wins
    caps: dict[str, timedelta]  # channel -> at most one message per this long


class MessagingActivities:
    def __init__(
        self,
        *,
        outbox: Outbox,
        session_factory: async_sessionmaker[AsyncSession],
        providers: dict[str, Provider],
        mail_from: str,  # for shops without their own `email_from`
        links: LinkSigning,
        policy: SendPolicy,
        registry: ConsentRegistry | None = None,
    ) -> None:
        self._outbox = outbox
        self._sessions = session_factory
        self._providers = providers
        self._mail_from = mail_from
        self._links = links
        self._policy = policy
        self._registry = registry
        self._caps = FrequencyCaps(session_factory)

    @activity.defn(name=names.SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        """Send one journey step's message, at most once, for the cart as it is now."""
        key = f"{request.workflow_id}:{request.run_id}:{request.step}"
        step = request.model_dump(include=OUTBOX_COLUMNS)
        status = await self._outbox.claim(key, {**step, "channel": request.channels[0]})
        if status == SENDING:
            status = await self._after_interrupted_delivery(key)
        if status != PENDING:
            return await self._settled(key)
        now = request.due_at or datetime.now(UTC)
        shop = await self._shop(request.shop)

        if request.quiet_hours and request.channels != [WEBHOOK]:
            zone = quiet_hours.customer_zone(
                request.cart.customer.timezone,
                shop.timezone if shop else None,
                self._policy.shop_timezone,
            )
            until = quiet_hours.quiet_until(now, zone, request.quiet_hours)
            if until is not None:
                return await self._defer(
                    key, until, quiet_hours.describe(request.quiet_hours, zone)
                )

        choice = await self._choose_channel(request, now)
        if choice.channel is None:
            return await self._skip(key, choice.reason, request.channels[-1])
        channel, address = choice.channel, choice.address

        window = self._policy.caps.get(channel)
        if window is not None:
            free_at = await self._caps.take_slot(
                shop=request.shop, channel=channel, address=address, key=key, at=now, window=window
            )
            if free_at is not None:
                reason = f"frequency cap: one {channel} per {format_duration(window)}"
                if request.when_capped == WhenCapped.DEFER:
                    return await self._defer(key, free_at, reason, channel)
                return await self._skip(key, reason, channel)

        return await self._deliver(key, request, channel, address, now, shop)

    # --- delivery ------------------------------------------------------------------

    async def _deliver(
        self,
        key: str,
        request: SendRequest,
        channel: str,
        address: str,
        now: datetime,
        shop: ShopProfile | None,
    ) -> SendResult:
        provider = self._providers[channel]
        mail_from = (shop.email_from if shop else None) or self._mail_from
        try:
            outgoing, locale, subject = self._compose(key, request, channel, now, mail_from)
        except (TemplateMissing, RenderError) as err:
            # validation renders every template, so this is a bug worth seeing, not retrying
            await self._give_back_slot(request, channel, address, key)
            return await self._fail(key, f"render failed: {err}", channel)

        if not await self._outbox.begin_delivery(
            key,
            channel=channel,
            provider=provider.name,
            recipient=address,
            locale=locale,
            subject=subject,
        ):
            return await self._settled(key)
        try:
            provider_message_id = await _heartbeating(provider.sender.send(outgoing))
        except TransientChannelError as err:
            if err.maybe_delivered and not provider.sender.repeat_is_harmless:
                # The provider may have it: sending again could be a second message.
                reason = f"the provider may have taken it, not resent: {err}"
                await self._outbox.finish(key, status=MessageStatus.UNCERTAIN, reason=reason)
                return SendResult(status=MessageStatus.UNCERTAIN, reason=reason, channel=channel)
            await self._outbox.retry_later(key, str(err))
            delay = timedelta(seconds=err.retry_after) if err.retry_after else None
            raise ApplicationError(
                str(err), type=type(err).__name__, next_retry_delay=delay
            ) from err  # Temporal retries with backoff (or when the provider asked)
        except PermanentChannelError as err:
            await self._outbox.finish(key, status=MessageStatus.FAILED, reason=str(err))
            await self._give_back_slot(request, channel, address, key)
            return SendResult(status=MessageStatus.FAILED, reason=str(err), channel=channel)
        await self._outbox.delivered(
            key, provider_message_id=provider_message_id[:300], at=datetime.now(UTC)
        )
        return SendResult(status=MessageStatus.SENT, channel=channel)

    def _compose(
        self, key: str, request: SendRequest, channel: str, now: datetime, mail_from: str
    ) -> tuple[Outgoing, str | None, str | None]:
        """The channel's message, its locale and (email) subject."""
        if channel == WEBHOOK:
            return webhook_out(key=key, request=request, occurred_at=now), None, None
        assert request.template is not None
        cart = request.cart
        links = self._tracked_links(request)
        render: dict[str, Any] = {
            "templates": request.templates,
            "template": request.template,
            "locale": cart.customer.locale,
            "default_locale": request.default_locale,
        }
        if channel == "email":
            assert cart.customer.email is not None
            links = links.model_copy(
                update={"unsubscribe_url": self._unsubscribe_url(request, cart.customer.email)}
            )
            rendered = render_message(**render, context=message_context(cart, links))
            message = email_out(
                key=key,
                request=request,
                rendered=rendered,
                sender=mail_from,
                unsubscribe_url=links.unsubscribe_url or "",
            )
            return message, rendered.locale, rendered.subject
        parts = render_parts(channel=channel, **render, context=message_context(cart, links))
        if channel == "sms":
            body = with_opt_out(parts.parts["sms"], language_of(parts.locale))
            return sms_out(key=key, request=request, body=body), parts.locale, None
        push = push_out(key=key, request=request, rendered=parts, url=links.checkout_url)
        return push, parts.locale, push.title

    def _tracked_links(self, request: SendRequest) -> MessageLinks:
        cart = request.cart
        return tracked_links(
            public_url=self._links.public_url,
            secret=self._links.secret,
            shop=request.shop,
            cart_id=request.cart_id,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            message_id=request.message_id,
            checkout_url=cart.checkout_url,
            item_urls={item.sku: item.url for item in cart.items if item.url},
        )

    def _unsubscribe_url(self, request: SendRequest, address: str) -> str:
        payload = UnsubscribePayload(
            shop=request.shop,
            channel="email",
            address=address,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            message_id=request.message_id,
        )
        return unsubscribe_url(self._links.public_url, self._links.secret, payload)

    # --- the shop ---------------------------------------------------------------------

    async def _shop(self, shop: str) -> ShopProfile | None:
        # Read at every send, not cached: one primary-key read beside the send's other
        # queries, and a shop's new sender or timezone applies at once on every worker.
        async with self._sessions() as session:
            return await get_shop(session, shop)

    # --- who may be messaged where ---------------------------------------------------

    async def _choose_channel(self, request: SendRequest, now: datetime) -> _Choice:
        """The first channel of the preference the customer can be reached on, or why none."""
        refusals = []
        for channel in request.channels:
            address = _address(request, channel)
            refusal = await self._refusal(request, channel, address, now)
            if refusal is None and address is not None:
                return _Choice(channel, address, "")
            refusals.append(f"{channel}: {refusal}")
        return _Choice(None, "", "; ".join(refusals))

    async def _refusal(
        self, request: SendRequest, channel: str, address: str | None, now: datetime
    ) -> str | None:
        if channel not in self._providers:
            return "no provider configured"
        if address is None:
            return f"no {_ADDRESS_NAMES[channel]}"
        if channel == WEBHOOK:
            return None  # goes to the shop's own systems, not to the customer
        customer = request.cart.customer
        async with self._sessions() as session:
            consent = await current_consent(
                session, shop=request.shop, customer_id=customer.id, channel=channel
            )
            suppressed = await suppression_reason(
                session, shop=request.shop, channel=channel, address=address
            )
        if consent is None:  # the shop never stated it apart from this cart
            consent = getattr(customer.consent, channel)
        if not consent:
            return "no consent"
        if suppressed:
            return f"address {suppressed}"
        if self._registry is not None:
            try:
                allowed = await self._registry.allows(
                    shop=request.shop, channel=channel, address=address, now=now
                )
            except TransientChannelError as err:
                raise ApplicationError(str(err), type=type(err).__name__) from err
            if not allowed:
                return "the consent registry does not allow it"
        return None

    # --- settling ----------------------------------------------------------------------

    async def _after_interrupted_delivery(self, key: str) -> str:
        """An earlier attempt died mid-send. Repeat only where a repeat is harmless."""
        _, _, channel = await self._outbox.settled(key)
        provider = self._providers.get(channel)
        if provider is not None and provider.sender.repeat_is_harmless:
            await self._outbox.retry_later(
                key, f"an attempt died mid-send; {provider.name} shows a repeat only once"
            )
            return PENDING
        reason = "an earlier attempt stopped mid-delivery; not resent"
        await self._outbox.finish(key, status=MessageStatus.UNCERTAIN, reason=reason)
        return MessageStatus.UNCERTAIN

    async def _settled(self, key: str) -> SendResult:
        """Another attempt already settled this step: report its result, never send again."""
        status, reason, channel = await self._outbox.settled(key)
        if status in (PENDING, SENDING):
            # a second live attempt holds the row (a timed-out one still running): ask later
            raise ApplicationError(f"another attempt is delivering {key}; checking again later")
        return SendResult(status=MessageStatus(status), reason=reason, channel=channel)

    async def _defer(
        self, key: str, until: datetime, reason: str, channel: str | None = None
    ) -> SendResult:
        reason = f"{reason}; deferred to {until.isoformat(timespec='minutes')}"
        await self._outbox.note(key, reason)
        return SendResult(
            status=MessageStatus.DEFERRED, reason=reason, channel=channel, retry_at=until
        )

    async def _skip(self, key: str, reason: str, channel: str) -> SendResult:
        await self._outbox.finish(key, status=MessageStatus.SKIPPED, reason=reason)
        return SendResult(status=MessageStatus.SKIPPED, reason=reason, channel=channel)

    async def _fail(self, key: str, reason: str, channel: str) -> SendResult:
        await self._outbox.finish(key, status=MessageStatus.FAILED, reason=reason)
        return SendResult(status=MessageStatus.FAILED, reason=reason, channel=channel)

    async def _give_back_slot(
        self, request: SendRequest, channel: str, address: str, key: str
    ) -> None:
        if channel in self._policy.caps:
            await self._caps.give_back(shop=request.shop, channel=channel, address=address, key=key)


@dataclass(frozen=True)
class _Choice:
    channel: str | None
    address: str
    reason: str  # why no channel, when none


_ADDRESS_NAMES = {
    "email": "email address",
    "sms": "phone number",
    "push": "push token",
    WEBHOOK: "webhook target",
}


def _address(request: SendRequest, channel: str) -> str | None:
    customer: Shopper = request.cart.customer
    return {
        "email": customer.email,
        "sms": customer.phone,
        "push": customer.push_token,
        WEBHOOK: request.target,
    }.get(channel)


async def _heartbeating(call: Awaitable[T]) -> T:
    """Await a provider call, heartbeating meanwhile so a dead worker is noticed in seconds."""
    task = asyncio.ensure_future(call)
    while True:
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY)
        if done:
            return task.result()
        activity.heartbeat()
