"""Turn a rendered journey message into what a channel delivers (channels.outgoing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from channels.outgoing import EmailOut, PushOut, SmsOut, WebhookOut
from rendering.message import RenderedMessage, RenderedParts
from tracking.unsubscribe import list_unsubscribe_headers
from workflows.payloads import SendRequest


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


def _metadata(request: SendRequest) -> dict[str, str]:
    # Each sender adds the key itself (custom arg, Metadata, status callback, push data).
    return {
        "shop": request.shop,
        "cart_id": request.cart_id,
        "message_id": request.message_id,
    }
