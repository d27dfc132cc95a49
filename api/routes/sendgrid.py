"""SendGrid's Event Webhook: deliveries, opens, clicks, bounces, complaints, unsubscribes.

No API key: SendGrid signs every call (ECDSA, see api.webhook_signatures). A call we can
not verify gets a 401 and changes nothing; without a configured key the route answers
503, so SendGrid keeps the events and retries until the operator sets it.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, ValidationError

from api.deps import SessionsDep, SettingsDep, TemporalDep
from api.errors import error_response
from api.webhook_signatures import InvalidPublicKey, verify_sendgrid
from intake.engagement import ProviderEngagement, take_provider_events
from intake.receipts import Receipt, settle_from_receipts
from workflows.payloads import EngagementKind

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

PROVIDER = "sendgrid"
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
KEY_ARG = "cartnudge_key"  # the outbox key, sent as a custom arg with every email

_SIMPLE = {
    "delivered": EngagementKind.DELIVERED,
    "open": EngagementKind.OPENED,
    "click": EngagementKind.CLICKED,
    "spamreport": EngagementKind.COMPLAINED,
    "unsubscribe": EngagementKind.UNSUBSCRIBED,
    "group_unsubscribe": EngagementKind.UNSUBSCRIBED,
}
# SendGrid drops a message to an address on its own suppression lists; ours follows.
_DROPPED = {
    "Bounced Address": EngagementKind.BOUNCED,
    "Spam Reporting Address": EngagementKind.COMPLAINED,
    "Unsubscribed Address": EngagementKind.UNSUBSCRIBED,
}


class SendGridEvent(BaseModel):
    """The fields of one event we use; SendGrid sends many more."""

    model_config = ConfigDict(extra="ignore")

    event: str
    sg_event_id: str
    sg_message_id: str | None = None
    type: str | None = None  # bounce: "bounce" (hard) or "blocked" (soft)
    reason: str | None = None
    url: str | None = None
    cartnudge_key: str | None = None
    sg_machine_open: bool = False  # Apple Mail Privacy Protection fetched the pixel


def engagement_kind(event: SendGridEvent) -> EngagementKind | None:
    """Our kind for the event; None for what we do not track (processed, deferred, soft)."""
    if event.event == "bounce":
        return EngagementKind.BOUNCED if event.type == "bounce" else None
    if event.event == "dropped":
        return _DROPPED.get(event.reason or "")
    return _SIMPLE.get(event.event)


def to_receipt(raw: Any) -> Receipt | None:
    """Any event of the posted array that carries our key: SendGrid has that message."""
    try:
        event = SendGridEvent.model_validate(raw)
    except ValidationError:
        return None
    if not event.cartnudge_key:
        return None
    message_id = event.sg_message_id.split(".", 1)[0] if event.sg_message_id else None
    return Receipt(PROVIDER, event.cartnudge_key, message_id)


def to_engagement(raw: Any) -> ProviderEngagement | None:
    """One event of the posted array in our terms; None when we ignore it."""
    try:
        event = SendGridEvent.model_validate(raw)
    except ValidationError:
        log.warning("sendgrid sent an event we can not read; ignored")
        return None
    kind = engagement_kind(event)
    if kind is None:
        return None
    # sg_message_id is the X-Message-Id the send call answered, plus ".filter..." parts.
    message_id = event.sg_message_id.split(".", 1)[0] if event.sg_message_id else None
    return ProviderEngagement(
        provider=PROVIDER,
        event_id=event.sg_event_id,
        kind=kind,
        key=event.cartnudge_key,
        provider_message_id=message_id,
        url=event.url if kind == EngagementKind.CLICKED else None,
        machine=kind == EngagementKind.OPENED and event.sg_machine_open,
    )


@router.post(
    "/sendgrid",
    response_class=Response,
    responses={
        400: error_response("Signed, but not a JSON array of events"),
        401: error_response("Missing or wrong signature"),
        503: error_response(
            "No verification key set, or Temporal or the database down; retry", retry=True
        ),
    },
)
async def sendgrid_events(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE)] = None,
    timestamp: Annotated[str | None, Header(alias=TIMESTAMP)] = None,
) -> Response:
    """Take a batch of SendGrid events: each is recorded once and told to its journey."""
    key = settings.sendgrid_webhook_public_key
    if not key:
        log.warning("sendgrid webhook called but CARTNUDGE_SENDGRID_WEBHOOK_PUBLIC_KEY is unset")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "sendgrid webhook not configured")
    body = await request.body()
    try:
        valid = (
            signature is not None
            and timestamp is not None
            and verify_sendgrid(key, signature=signature, timestamp=timestamp, body=body)
        )
    except InvalidPublicKey as err:
        log.error("CARTNUDGE_SENDGRID_WEBHOOK_PUBLIC_KEY is unusable: %s", err)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "sendgrid webhook not configured"
        ) from None
    if not valid:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong sendgrid signature")
    try:
        events = json.loads(body)
    except ValueError:
        events = None
    if not isinstance(events, list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "expected a JSON array of events")
    receipts = [taken for raw in events if (taken := to_receipt(raw)) is not None]
    await settle_from_receipts(receipts, sessions=sessions)
    engagements = [found for raw in events if (found := to_engagement(raw)) is not None]
    await take_provider_events(engagements, sessions=sessions, temporal=temporal)
    return Response(status_code=status.HTTP_200_OK)
