"""Open pixels and click redirects from sent messages; no API key, the token is signed.

An open always answers with the pixel and a click with its redirect, whatever happens to
the database or Temporal meanwhile: the customer must never see our failure. Only a
token we signed counts, and a click goes only to the URL inside its token.

A short link (`/t/s/<id>`, in SMS and push) is looked up in `short_links` and is then the
very same click. The lookup is the one thing it needs from the database before the
answer: when that fails the customer reads a line asking them to try again (503), never
an error page, and an id we never gave out is a plain 404.
"""

from __future__ import annotations

import asyncio
import base64
import logging

from fastapi import APIRouter, BackgroundTasks, Response, status
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, SettingsDep, TemporalDep
from intake.engagement import take_open_or_click
from intake.temporal import TemporalGateway
from storage.messages import SentMessage
from storage.short_links import ShortLinks
from tracking.short_links import belongs_to, is_short_id
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
NOT_VALID = "This link is not valid. Please open the shop directly."
NOT_FOUND = "This link does not exist. Please open the shop directly."
UNAVAILABLE = "This link can not be opened right now. Please try again in a minute."
# A short link waits this long for its lookup, then asks the customer to try again.
LOOKUP_SECONDS = 3
RETRY_AFTER_SECONDS = "60"


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
    return _click(token, settings.secret_key.get_secret_value(), sessions, temporal, background)


@router.get(
    "/s/{short_id}",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses={
        400: {"content": {"text/plain": {}}, "description": "Not a link we signed"},
        404: {"content": {"text/plain": {}}, "description": "Not a short link we gave out"},
        503: {"content": {"text/plain": {}}, "description": "The link can not be looked up now"},
    },
)
async def short_click(
    short_id: str,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
    background: BackgroundTasks,
) -> Response:
    """Follow an SMS's or push's short link: the click on the signed link it stands for."""
    secret = settings.secret_key.get_secret_value()
    if not is_short_id(short_id):
        return _plain(NOT_FOUND, status.HTTP_404_NOT_FOUND)
    try:
        async with asyncio.timeout(LOOKUP_SECONDS):  # connecting may hang too
            token = await ShortLinks(sessions).token(short_id)
    except (SQLAlchemyError, OSError, TimeoutError) as err:
        log.warning("short link %s not looked up, the database failed: %r", short_id, err)
        return _plain(
            UNAVAILABLE,
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    # A stored pair whose id is not the token's was not written by the send activity.
    if token is None or not belongs_to(short_id, token, secret):
        log.info("short link refused: %s is not one we gave out", short_id)
        return _plain(NOT_FOUND, status.HTTP_404_NOT_FOUND)
    return _click(token, secret, sessions, temporal, background)


def _click(
    token: str,
    secret: str,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
    background: BackgroundTasks,
) -> Response:
    """The redirect to the URL inside a click token, its click counted after the answer."""
    payload = _verified(token, secret, "click")
    if payload is None or payload.url is None:  # a click token always carries its URL
        return _plain(NOT_VALID, status.HTTP_400_BAD_REQUEST)
    _count_after_answering(background, payload, EngagementKind.CLICKED, sessions, temporal)
    return RedirectResponse(payload.url, status_code=status.HTTP_302_FOUND, headers=NO_CACHE)


def _plain(text: str, code: int, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=code, headers={**NO_CACHE, **(headers or {})})


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
