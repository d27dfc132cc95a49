"""The unsubscribe link of every email, and the mail client's one-click button (RFC 8058).

No API key: the signed token names the address, the shop and the message. Opening the
link changes nothing (mail scanners open links); the page's button, or the client's
one-click POST, unsubscribes. The suppression is committed before the answer, so an
unsubscribe the customer saw confirmed is never lost; the workflow hears of it after.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, status
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from api.deps import SessionsDep, SettingsDep, TemporalDep
from api.errors import error_response
from intake.engagement import take_customer_engagement
from storage.messages import SentMessage
from tracking.tokens import InvalidToken
from tracking.unsubscribe import UNSUBSCRIBE_PATH, UnsubscribePayload, verify_unsubscribe
from workflows.payloads import EngagementKind

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix=UNSUBSCRIBE_PATH.rstrip("/"), tags=["unsubscribe"])

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL holds the token
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
_HTML: dict[str, Any] = {"content": {"text/html": {}}}


def _page(
    heading: str, lines: list[str], *, button: str | None = None, status_code: int
) -> HTMLResponse:
    """A small bilingual page; every piece of text is escaped here."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    form = (
        f'<form method="post"><button type="submit">{escape(button)}</button></form>'
        if button
        else ""
    )
    html = (
        '<!doctype html><html lang="tr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(heading)}</title>"
        "<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
        "button{font-size:1rem;padding:.6rem 1.2rem}</style></head>"
        f"<body><h1>{escape(heading)}</h1>{paragraphs}{form}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def _not_found() -> HTMLResponse:
    return _page(
        "Bağlantı geçersiz / Invalid link",
        [
            "Bu abonelikten çıkma bağlantısı geçerli değil.",
            "This unsubscribe link is not valid.",
        ],
        status_code=status.HTTP_404_NOT_FOUND,
    )


def _verified(token: str, secret: str) -> UnsubscribePayload | None:
    try:
        return verify_unsubscribe(token, secret)
    except InvalidToken as err:
        log.info("unsubscribe token refused: %s", err)
        return None


def _sent(payload: UnsubscribePayload) -> SentMessage:
    # Workflow ids are `cart-{shop}-{cart_id}` and shop ids hold no "-": the rest is the cart.
    prefix = f"cart-{payload.shop}-"
    cart_id = payload.workflow_id.removeprefix(prefix)
    return SentMessage(
        shop=payload.shop,
        cart_id=cart_id,
        workflow_id=payload.workflow_id,
        run_id=payload.run_id,
        message_id=payload.message_id,
        channel=payload.channel,
        address=payload.address,
    )


@router.get("/{token}", response_class=HTMLResponse, responses={404: _HTML})
async def confirm_page(token: str, settings: SettingsDep) -> HTMLResponse:
    """The page with the unsubscribe button; showing it changes nothing."""
    payload = _verified(token, settings.secret_key.get_secret_value())
    if payload is None:
        return _not_found()
    return _page(
        "Abonelikten çık / Unsubscribe",
        [
            f"{payload.address} adresine bu mağazadan mesaj gönderilmesini durdurmak için "
            "aşağıdaki düğmeye basın.",
            f"Press the button below to stop this shop's messages to {payload.address}.",
        ],
        button="Abonelikten çık / Unsubscribe",
        status_code=status.HTTP_200_OK,
    )


async def _is_one_click(request: Request) -> bool:
    try:
        form = await request.form()
    except HTTPException:  # a malformed body: still a POST to our link
        return False
    return form.get("List-Unsubscribe") == "One-Click"


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    responses={
        404: _HTML,
        503: error_response("The database is down: nothing changed; retry", retry=True),
    },
)
async def unsubscribe(
    token: str,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
    background: BackgroundTasks,
) -> HTMLResponse:
    """Put the address on the shop's suppression list and tell the message's journey."""
    payload = _verified(token, settings.secret_key.get_secret_value())
    if payload is None:
        return _not_found()
    source = "one-click" if await _is_one_click(request) else "link"
    # recorded before the answer: an unsubscribe the customer saw confirmed is never lost
    untold = await take_customer_engagement(
        [_sent(payload)],
        EngagementKind.UNSUBSCRIBED,
        source=source,
        sessions=sessions,
        temporal=temporal,
    )
    background.add_task(untold.tell)
    return _page(
        "Abonelikten çıktınız / You are unsubscribed",
        [
            f"{payload.address} adresine bu mağazadan artık mesaj gönderilmeyecek.",
            f"This shop will no longer send messages to {payload.address}.",
        ],
        status_code=status.HTTP_200_OK,
    )
