"""Postmark's webhooks: deliveries, opens, clicks, bounces, spam complaints, unsubscribes.

No API key: Postmark calls with the basic-auth user and password set in the webhook URL
(https://user:password@.../webhooks/postmark). Wrong or missing credentials get a 401 and
change nothing; without configured credentials the route answers 503 (Postmark retries).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionsDep, SettingsDep, TemporalDep
from api.errors import error_response
from api.webhook_signatures import credentials_match
from intake.engagement import ProviderEngagement, take_provider_events
from intake.receipts import Receipt, settle_from_receipts
from workflows.payloads import EngagementKind

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

PROVIDER = "postmark"
KEY_ARG = "cartnudge_key"  # the outbox key, sent in every email's Metadata

_basic = HTTPBasic(auto_error=False, description="The user and password in the webhook URL")


async def require_postmark(
    settings: SettingsDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> None:
    """401 unless the call carries the configured basic-auth credentials."""
    user, password = settings.postmark_webhook_user, settings.postmark_webhook_password
    if not user or password is None:
        log.warning("postmark webhook called but CARTNUDGE_POSTMARK_WEBHOOK_USER/PASSWORD unset")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "postmark webhook not configured")
    if credentials is None or not credentials_match(
        user=credentials.username,
        password=credentials.password,
        expected_user=user,
        expected_password=password.get_secret_value(),
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong postmark webhook credentials",
            headers={"WWW-Authenticate": "Basic"},
        )


class PostmarkEvent(BaseModel):
    """The fields of one webhook call we use; Postmark sends more."""

    # strict: what the spec documents is all it takes (no "0" for a bool, no 1.0 for an id)
    model_config = ConfigDict(extra="ignore", populate_by_name=True, strict=True)

    record_type: str = Field(alias="RecordType")
    message_id: str | None = Field(default=None, alias="MessageID")
    id: int | str | None = Field(default=None, alias="ID")  # bounces and complaints
    type: str | None = Field(default=None, alias="Type")  # bounce: "HardBounce", "SoftBounce"...
    suppress_sending: bool | None = Field(default=None, alias="SuppressSending")
    original_link: str | None = Field(default=None, alias="OriginalLink")
    metadata: dict[str, str] | None = Field(default=None, alias="Metadata")
    received_at: str | None = Field(default=None, alias="ReceivedAt")
    delivered_at: str | None = Field(default=None, alias="DeliveredAt")
    bounced_at: str | None = Field(default=None, alias="BouncedAt")
    changed_at: str | None = Field(default=None, alias="ChangedAt")


def engagement_kind(event: PostmarkEvent) -> EngagementKind | None:
    """Our kind for the event; None for what we do not track (soft bounces, resubscribes)."""
    match event.record_type:
        case "Delivery":
            return EngagementKind.DELIVERED
        case "Open":
            return EngagementKind.OPENED
        case "Click":
            return EngagementKind.CLICKED
        case "Bounce":
            return EngagementKind.BOUNCED if event.type == "HardBounce" else None
        case "SpamComplaint":
            return EngagementKind.COMPLAINED
        case "SubscriptionChange":
            return EngagementKind.UNSUBSCRIBED if event.suppress_sending else None
    return None


def event_id(event: PostmarkEvent) -> str:
    """Postmark's calls carry no event id: the record type, message and its own id or time."""
    moment = event.id or (
        event.received_at or event.delivered_at or event.bounced_at or event.changed_at
    )
    return f"{event.record_type}:{event.message_id}:{moment}"


def to_engagement(event: PostmarkEvent) -> ProviderEngagement | None:
    kind = engagement_kind(event)
    if kind is None:
        return None
    return ProviderEngagement(
        provider=PROVIDER,
        event_id=event_id(event),
        kind=kind,
        key=(event.metadata or {}).get(KEY_ARG),
        provider_message_id=event.message_id,
        url=event.original_link if kind == EngagementKind.CLICKED else None,
    )


@router.post(
    "/postmark",
    response_class=Response,
    dependencies=[Depends(require_postmark)],
    responses={
        401: error_response("Missing or wrong credentials"),
        503: error_response(
            "No credentials set, or Temporal or the database down; retry", retry=True
        ),
    },
)
async def postmark_event(
    event: PostmarkEvent, sessions: SessionsDep, temporal: TemporalDep
) -> Response:
    """Take one Postmark event: recorded once and told to its journey."""
    key = (event.metadata or {}).get(KEY_ARG)
    if key:  # any event means Postmark has it: a send cut off mid-delivery is settled
        await settle_from_receipts([Receipt(PROVIDER, key, event.message_id)], sessions=sessions)
    found = to_engagement(event)
    await take_provider_events([found] if found else [], sessions=sessions, temporal=temporal)
    return Response(status_code=status.HTTP_200_OK)
