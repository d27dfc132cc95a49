"""The send activity: render a journey step's message for the current cart and deliver it once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol

from temporalio import activity

from channels.errors import PermanentChannelError, TransientChannelError
from rendering.context import message_context
from rendering.message import RenderedMessage, RenderError, TemplateMissing, render_message
from storage.outbox import PENDING, SENDING, Outbox
from tracking.links import tracked_links
from workflows import names
from workflows.types import MessageStatus, SendRequest, SendResult

# What the outbox row records about the step, straight from the request.
OUTBOX_COLUMNS = {
    "workflow_id", "run_id", "shop", "cart_id", "journey", "version",
    "step", "message_id", "channel", "template",
}  # fmt: skip


class EmailSender(Protocol):
    async def send(self, message: EmailMessage) -> str: ...


@dataclass(frozen=True)
class LinkSigning:
    """Where tracking links point and the key that signs them."""

    public_url: str
    secret: str


class MessagingActivities:
    def __init__(
        self, *, outbox: Outbox, email: EmailSender, mail_from: str, links: LinkSigning
    ) -> None:
        self._outbox = outbox
        self._email = email
        self._mail_from = mail_from
        self._links = links

    @activity.defn(name=names.SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        """Send one journey step's message, at most once, for the cart as it is now."""
        key = f"{request.workflow_id}:{request.run_id}:{request.step}"
        if await self._outbox.claim(key, request.model_dump(include=OUTBOX_COLUMNS)) != PENDING:
            return await self._settled(key)

        refusal = _refusal(request)
        if refusal is not None:
            await self._outbox.finish(key, status=MessageStatus.SKIPPED, reason=refusal)
            return SendResult(status=MessageStatus.SKIPPED, reason=refusal)

        try:
            rendered = self._render(request)
        except (TemplateMissing, RenderError) as err:
            # validation renders every template, so this is a bug worth seeing, not retrying
            reason = f"render failed: {err}"
            await self._outbox.finish(key, status=MessageStatus.FAILED, reason=reason)
            return SendResult(status=MessageStatus.FAILED, reason=reason)

        recipient = request.cart.customer.email
        assert recipient is not None  # _refusal checked it
        if not await self._outbox.begin_delivery(
            key, recipient=recipient, locale=rendered.locale, subject=rendered.subject
        ):
            return await self._settled(key)

        message = self._email_message(key, request, rendered, recipient)
        try:
            reply = await self._email.send(message)
        except TransientChannelError as err:
            await self._outbox.retry_later(key, str(err))
            raise  # Temporal retries with backoff
        except PermanentChannelError as err:
            await self._outbox.finish(key, status=MessageStatus.FAILED, reason=str(err))
            return SendResult(status=MessageStatus.FAILED, reason=str(err))
        await self._outbox.delivered(
            key, provider_message_id=f"{message['Message-ID']} {reply}"[:300], at=datetime.now(UTC)
        )
        return SendResult(status=MessageStatus.SENT)

    async def _settled(self, key: str) -> SendResult:
        """Another attempt already took this step: report its result, never send again."""
        status, reason = await self._outbox.settled(key)
        if status == SENDING:
            reason = "an earlier attempt stopped mid-delivery; not resent"
            await self._outbox.finish(key, status=MessageStatus.UNCERTAIN, reason=reason)
            return SendResult(status=MessageStatus.UNCERTAIN, reason=reason)
        return SendResult(status=MessageStatus(status), reason=reason)

    def _render(self, request: SendRequest) -> RenderedMessage:
        cart = request.cart
        links = tracked_links(
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
        return render_message(
            templates=request.templates,
            template=request.template,
            locale=cart.customer.locale,
            default_locale=request.default_locale,
            context=message_context(cart, links),
        )

    def _email_message(
        self, key: str, request: SendRequest, rendered: RenderedMessage, recipient: str
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = formataddr((request.cart.customer.first_name or "", recipient))
        message["Subject"] = rendered.subject
        # Stable per step: a receiving system can spot a duplicate even if one slipped out.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        message["Message-ID"] = f"<{digest}@cartnudge>"
        message["X-Cartnudge-Message"] = (
            f"{request.journey}/v{request.version}/{request.message_id}"
        )
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message


def _refusal(request: SendRequest) -> str | None:
    """Why this message must not go out now, checked at send time; None when it may."""
    customer = request.cart.customer
    if request.channel != "email":
        return f"channel {request.channel} has no provider yet"
    if not customer.email:
        return "customer has no email address"
    if not customer.consent.email:
        return "customer has not consented to email"
    return None
