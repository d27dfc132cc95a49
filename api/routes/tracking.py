"""Open pixels and click redirects from sent messages; no API key, the token is signed.

An open always answers with the pixel and a click with its redirect, whatever happens to
the database or Temporal meanwhile: the customer must never see our failure. Only a
token we signed counts, and a click goes only to the URL inside its token.
"""

from __future__ import annotations

import base64
import logging

from fastapi import APIRouter, BackgroundTasks, Response, status
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, SettingsDep, TemporalDep
from intake.engagement import take_open_or_click
from intake.temporal import TemporalGateway
from storage.messages import SentMessage
from tracking.tokens import InvalidToken, TrackingKind, TrackingPayload, verify
from workflows.payloads import EngagementKind

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix="/t", tags=["tracking"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}


def _verified(token: str, secret: str, kind: TrackingKind) -> TrackingPayload | None:
    try:
        payload = verify(token, secret)
    except InvalidToken as err:
        log.info("tracking token refused: %s", err)
        return None
    return payload if payload.kind == kind else None


@router.get(
    "/o/{token}",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "A transparent 1x1 GIF"}},
)
async def open_pixel(
    token: str,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
    background: BackgroundTasks,
) -> Response:
    """Count the first open of a message; always answers with a transparent pixel."""
    payload = _verified(token, settings.secret_key.get_secret_value(), "open")
    if payload is not None:
        # after the answer: the customer never waits for our database or Temporal
        _count_after_answering(background, payload, EngagementKind.OPENED, sessions, temporal)
    return Response(PIXEL, media_type="image/gif", headers=NO_CACHE)


@router.get(
    "/c/{token}",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses={400: {"content": {"text/plain": {}}, "description": "Not a link we signed"}},
)
async def click(
    token: str,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
    background: BackgroundTasks,
) -> Response:
    """Count the first click on a message's link and send the customer on to it."""
    payload = _verified(token, settings.secret_key.get_secret_value(), "click")
    if payload is None or payload.url is None:  # a click token always carries its URL
        return PlainTextResponse(
            "This link is not valid. Please open the shop directly.",
            status_code=status.HTTP_400_BAD_REQUEST,
            headers=NO_CACHE,
        )
    _count_after_answering(background, payload, EngagementKind.CLICKED, sessions, temporal)
    return RedirectResponse(payload.url, status_code=status.HTTP_302_FOUND, headers=NO_CACHE)


def _count_after_answering(
    background: BackgroundTasks,
    payload: TrackingPayload,
    kind: EngagementKind,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> None:
    """Record and tell the open or click once the answer is out."""
    background.add_task(
        take_open_or_click,
        _sent(payload),
        kind,
        url=payload.url,
        sessions=sessions,
        temporal=temporal,
    )


def _sent(payload: TrackingPayload) -> SentMessage:
    return SentMessage(
        shop=payload.shop,
        cart_id=payload.cart_id,
        workflow_id=payload.workflow_id,
        run_id=payload.run_id,
        message_id=payload.message_id,
    )
