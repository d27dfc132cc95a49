"""Composition: render a journey step's parts into what its channel delivers.

Tracked (signed) links for the cart and its items (short links in an SMS or a push: the
pairs to store come back in `Composed.short_links`), the one-click unsubscribe link of
every email, the customer's locale, the SMS opt-out line; then the channel's message type
(channels.outgoing). Pure: nothing here reads or writes the database. Raises
`TemplateMissing` / `RenderError` from rendering/ when a template can not be rendered
(validation renders every template first, so that is a bug).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.outgoing import EmailOut, PushOut, SmsOut, WebhookOut
from rendering.context import message_context
from rendering.live import LiveContent
from rendering.locales import language_of
from rendering.message import RenderedMessage, RenderedParts, render_message, render_parts
from rendering.sms import with_opt_out
from tracking.links import TrackedLinks, tracked_links
from tracking.short_links import SHORT_PATH
from tracking.unsubscribe import UnsubscribePayload, list_unsubscribe_headers, unsubscribe_url
from workflows.payloads import Channel, SendRequest

Outgoing = EmailOut | SmsOut | PushOut | WebhookOut


@dataclass(frozen=True)
class LinkSigning:
    """Where tracking and unsubscribe links point and the key that signs them."""

    public_url: str
    secret: str


@dataclass(frozen=True)
class Composed:
    """One channel's message, with what the outbox row records of it."""

    message: Outgoing
    locale: str | None = None
    subject: str | None = None  # email subject or push title
    # SMS and push: short link id -> the click token it stands for, stored before delivery
    short_links: dict[str, str] = field(default_factory=dict)


class Composer:
    def __init__(self, links: LinkSigning) -> None:
        self._links = links

    def compose(
        self,
        *,
        key: str,
        request: SendRequest,
        templates: dict[str, str],
        channel: Channel,
        now: datetime,
        mail_from: str,
        live: LiveContent | None = None,
    ) -> Composed:
        """The message for `channel` from the release's `templates` for this step; `key` is
        its idempotency key, `now` its webhook time, `live` what the send gathered for it
        (coupon, catalog, recommendations)."""
        if channel == Channel.WEBHOOK:
            return Composed(webhook_out(key=key, request=request, occurred_at=now))
        assert request.template is not None
        cart = request.cart
        live = live or LiveContent()
        tracked = self._tracked_links(request, live, short=channel != Channel.EMAIL)
        links = tracked.links
        render: dict[str, Any] = {
            "templates": templates,
            "template": request.template,
            "locale": cart.customer.locale,
            "default_locale": request.default_locale,
        }
        if channel == Channel.EMAIL:
            assert cart.customer.email is not None
            links = links.model_copy(
                update={"unsubscribe_url": self._unsubscribe_url(request, cart.customer.email)}
            )
            rendered = render_message(**render, context=message_context(cart, links, live))
            message = email_out(
                key=key,
                request=request,
                rendered=rendered,
                sender=mail_from,
                unsubscribe_url=links.unsubscribe_url or "",
            )
            return Composed(message, rendered.locale, rendered.subject)
        parts = render_parts(channel=channel, **render, context=message_context(cart, links, live))
        if channel == Channel.SMS:
            body = with_opt_out(parts.parts["sms"], language_of(parts.locale))
            sms = sms_out(key=key, request=request, body=body)
            return Composed(sms, parts.locale, short_links=_carried(tracked, body))
        push = push_out(key=key, request=request, rendered=parts, url=links.checkout_url)
        carried = _carried(tracked, f"{push.title}\n{push.body}\n{push.url}")
        return Composed(push, parts.locale, push.title, short_links=carried)

    def _tracked_links(
        self, request: SendRequest, live: LiveContent, *, short: bool
    ) -> TrackedLinks:
        cart = request.cart
        # Recommended products are links of the message too: tracked like the cart's items.
        item_urls = {product.sku: product.url for product in live.recommendations if product.url}
        item_urls |= {sku: now.url for sku, now in live.catalog.items() if now.url}
        item_urls |= {item.sku: item.url for item in cart.items if item.url}
        return tracked_links(
            public_url=self._links.public_url,
            secret=self._links.secret,
            shop=request.shop,
            cart_id=request.cart_id,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            message_id=request.message_id,
            checkout_url=cart.checkout_url,
            item_urls=item_urls,
            short=short,
        )

    def _unsubscribe_url(self, request: SendRequest, address: str) -> str:
        payload = UnsubscribePayload(
            shop=request.shop,
            channel=Channel.EMAIL.value,
            address=address,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            message_id=request.message_id,
        )
        return unsubscribe_url(self._links.public_url, self._links.secret, payload)


# --- one builder per channel ---------------------------------------------------------------


def email_out(
    *, key: str, request: SendRequest, rendered: RenderedMessage, sender: str, unsubscribe_url: str
) -> EmailOut:
    customer = request.cart.customer
    assert customer.email is not None
    return EmailOut(
        idempotency_key=key,
        to=customer.email,
        to_name=customer.first_name,
        sender=sender,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers={
            # Mailbox providers show an unsubscribe button that POSTs here (RFC 8058).
            **list_unsubscribe_headers(unsubscribe_url),
            "X-Cartnudge-Message": f"{request.journey}/v{request.version}/{request.message_id}",
        },
        metadata=_metadata(request),
    )


def sms_out(*, key: str, request: SendRequest, body: str) -> SmsOut:
    assert request.cart.customer.phone is not None
    return SmsOut(
        idempotency_key=key,
        to=request.cart.customer.phone,
        body=body,
        metadata=_metadata(request),
    )


def push_out(*, key: str, request: SendRequest, rendered: RenderedParts, url: str) -> PushOut:
    assert request.cart.customer.push_token is not None
    return PushOut(
        idempotency_key=key,
        token=request.cart.customer.push_token,
        title=rendered.parts["push_title"],
        body=rendered.parts["push"],
        url=url,
        metadata=_metadata(request),
    )


def webhook_out(*, key: str, request: SendRequest, occurred_at: datetime) -> WebhookOut:
    """The documented JSON a CRM or staff channel receives (see channels/webhook.py)."""
    assert request.target is not None
    payload: dict[str, Any] = {
        "event": "cartnudge.journey_step",
        "idempotency_key": key,
        "shop": request.shop,
        "cart_id": request.cart_id,
        "journey": request.journey,
        "version": request.version,
        "message_id": request.message_id,
        "step": request.step,
        "occurred_at": occurred_at.isoformat(),
        "cart": request.cart.model_dump(mode="json"),
    }
    return WebhookOut(idempotency_key=key, target=request.target, payload=payload)


def _carried(tracked: TrackedLinks, text: str) -> dict[str, str]:
    """The short links `text` carries: only those are stored (a template may leave out
    the item links)."""
    return {id_: token for id_, token in tracked.short_links.items() if SHORT_PATH + id_ in text}


def _metadata(request: SendRequest) -> dict[str, str]:
    # Each sender adds the key itself (custom arg, Metadata, status callback, push data).
    return {
        "shop": request.shop,
        "cart_id": request.cart_id,
        "message_id": request.message_id,
    }
