"""Twilio's calls: SMS status callbacks, and replies to our SMS (STOP unsubscribes).

No API key: Twilio signs every call (X-Twilio-Signature, see api.webhook_signatures) over
the URL it called, which behind a proxy is our public URL, not the one we see. An
unsigned or wrongly signed call gets a 401 and changes nothing; without a configured auth
token the routes answer 503.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, HTTPException, Request, status
from fastapi.responses import Response

from api.deps import SessionsDep, SettingsDep, TemporalDep
from api.errors import error_response
from api.webhook_signatures import verify_twilio
from intake.engagement import ProviderEngagement, take_provider_events, take_sms_stop
from intake.receipts import Receipt, settle_from_receipts
from settings import Settings
from workflows.payloads import EngagementKind

log = logging.getLogger("cartnudge.api")
router = APIRouter(
    prefix="/webhooks/twilio",
    tags=["webhooks"],
    responses={
        401: error_response("Missing or wrong X-Twilio-Signature"),
        503: error_response(
            "No auth token set, or Temporal or the database down; retry", retry=True
        ),
    },
)

PROVIDER = "twilio"
STOP_SOURCE = "twilio-stop"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

# Twilio's opt-out words, and Turkish ones ("ret", "iptal"); compared after `_keyword`.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "RET", "IPTAL"})
# Error codes that mean the number can not get SMS at all: unreachable, unknown, landline.
UNREACHABLE_CODES = frozenset({"30003", "30005", "30006"})


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio called: our public URL, this path and the query string as sent."""
    url = settings.public_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def twilio_params(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature")] = None,
) -> dict[str, str]:
    """The POST parameters of a call Twilio signed; 401 for any other call."""
    token = settings.twilio_auth_token
    if token is None:
        log.warning("twilio webhook called but CARTNUDGE_TWILIO_AUTH_TOKEN is unset")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "twilio webhooks not configured")
    form = await request.form()
    params = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    if signature is None or not verify_twilio(
        token.get_secret_value(),
        url=public_url(settings, request),
        params=params,
        signature=signature,
    ):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-Twilio-Signature")
    return dict(params)


TwilioParams = Annotated[dict[str, str], Depends(twilio_params)]


def status_engagement(params: dict[str, str], key: str | None) -> ProviderEngagement | None:
    """Our engagement for a status callback; None for statuses we do not track."""
    sid, message_status = params.get("MessageSid"), params.get("MessageStatus")
    if not sid or not message_status:
        return None
    if message_status == "delivered":
        kind = EngagementKind.DELIVERED
    elif message_status in {"undelivered", "failed"} and (
        params.get("ErrorCode") in UNREACHABLE_CODES
    ):
        kind = EngagementKind.BOUNCED
    else:
        return None
    return ProviderEngagement(
        provider=PROVIDER,
        event_id=f"{sid}:{message_status}",
        kind=kind,
        key=key,
        provider_message_id=sid,
    )


@router.post("/status", response_class=Response)
async def message_status(
    params: TwilioParams,
    sessions: SessionsDep,
    temporal: TemporalDep,
    key: str | None = None,  # our outbox key, in the status callback URL we gave Twilio
) -> Response:
    """Take an SMS status callback: a delivery or a hard failure is told to its journey."""
    if key and params.get("MessageSid"):
        # any status means Twilio has it: a send cut off mid-delivery is settled
        receipt = Receipt(PROVIDER, key, params["MessageSid"])
        await settle_from_receipts([receipt], sessions=sessions)
    found = status_engagement(params, key)
    await take_provider_events([found] if found else [], sessions=sessions, temporal=temporal)
    return Response(status_code=status.HTTP_200_OK)


def _keyword(body: str) -> str:
    # Upper-casing maps Turkish "ı" and "i" to "I" but keeps "İ" (also what "i̇" composes
    # to), so one more step makes "iptal", "İPTAL" and "IPTAL" the same word.
    return unicodedata.normalize("NFC", body.strip().upper()).replace("İ", "I")


def is_stop(body: str) -> bool:
    """Whether an SMS reply asks us to stop: one opt-out word, any case, spaces around."""
    return _keyword(body) in STOP_WORDS


@router.post("/inbound", response_class=Response)
async def inbound_sms(
    params: TwilioParams,
    sessions: SessionsDep,
    temporal: TemporalDep,
    background: BackgroundTasks,
) -> Response:
    """A reply to our SMS: STOP suppresses the number for every shop that texted it."""
    number = params.get("From", "")
    if number and is_stop(params.get("Body", "")):
        # recorded before answering: a STOP is never lost
        untold = await take_sms_stop(
            number, source=STOP_SOURCE, sessions=sessions, temporal=temporal
        )
        log.info("SMS STOP: %d journey(s) told", len(untold.messages))
        background.add_task(untold.tell)
    return Response(EMPTY_TWIML, media_type="text/xml")
