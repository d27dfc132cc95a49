"""The codec server the Temporal UI and CLI call to read (and write) encrypted payloads.

    POST /codec/decode   {"payloads": [<Payload in proto JSON>, ...]} -> the same, decrypted
    POST /codec/encode   the same, encrypted with the current key of CARTNUDGE_PAYLOAD_KEYS

The UI posts from the engineer's browser, so CORS allows the Temporal UI's origin (from
CARTNUDGE_TEMPORAL_UI_URL) and no other, on these paths only (`CodecCors`). Who may call:

- CARTNUDGE_CODEC_TOKEN set: `Authorization: Bearer <token>` and nothing else
  (`temporal workflow show --codec-endpoint <api>/codec --codec-auth "Bearer <token>"`).
- not set, locally (`make run`): calls from this machine only (loopback), and from a
  browser only on the UI's origin.
- not set in production: 403 naming the setting; the codec decrypts customers' data.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from api.deps import SettingsDep
from api.errors import error_response
from settings import Settings
from temporal_payloads.codec import PayloadUnreadable
from temporal_payloads.converter import data_converter

PREFIX = "/codec"
BODY_SHAPE = '{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}'

_bearer = HTTPBearer(
    auto_error=False, description="`Authorization: Bearer <CARTNUDGE_CODEC_TOKEN>`"
)


def ui_origin(settings: Settings) -> str:
    """The Temporal UI's origin (scheme://host[:port]), the one the browser sends."""
    url = urlsplit(settings.temporal_ui_url)
    return f"{url.scheme}://{url.netloc}"


class CodecCors:
    """CORS for the codec's paths only, and only for the Temporal UI's origin: a preflight
    from any other origin gets 400 and the browser sends nothing."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=[ui_origin(settings)],
            allow_methods=["POST"],
            # X-Namespace: the UI names the namespace of the payloads it asks about.
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,  # the UI's "include cross-origin credentials" option
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def _from_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def authorised(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 without the codec token when one is set; without one, 403 in production and
    for callers not on this machine."""
    token = settings.codec_token
    if token is None:
        if settings.environment == "production":
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="the codec server is off: set CARTNUDGE_CODEC_TOKEN, and send it as"
                " `Authorization: Bearer <token>`",
            )
        origin = request.headers.get("origin")
        if not _from_loopback(request) or (origin is not None and origin != ui_origin(settings)):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail="without CARTNUDGE_CODEC_TOKEN the codec answers only this machine"
                f" and the Temporal UI at {ui_origin(settings)} (CARTNUDGE_TEMPORAL_UI_URL)",
            )
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong codec token: send `Authorization: Bearer"
            " <CARTNUDGE_CODEC_TOKEN>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    prefix=PREFIX,
    tags=["codec"],
    dependencies=[Depends(authorised)],
    responses={
        400: error_response("The body is not payloads in proto JSON, or one does not decrypt"),
        401: error_response("Missing or wrong codec token"),
        403: error_response("No codec token is set and the caller may not go without one"),
    },
)


async def _payloads(request: Request) -> list[Payload]:
    body = await request.body()
    try:
        parsed = json_format.Parse(body, Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise HTTPException(
            status_code=status.HTTP_400_BAD_REQUEST,
            detail=f"the body must be {BODY_SHAPE} (base64 in proto JSON): {err}",
        ) from None
    return list(parsed.payloads)


def _answer(payloads: list[Payload]) -> Response:
    body = json_format.MessageToJson(Payloads(payloads=payloads), indent=None)
    return Response(content=body, media_type="application/json")


def _codec(settings: Settings) -> PayloadCodec | None:
    return data_converter(settings).payload_codec  # None: CARTNUDGE_PAYLOAD_KEYS=[]


@router.post("/decode", response_class=Response)
async def decode(request: Request, settings: SettingsDep) -> Response:
    """The payloads decrypted; ones that were never encrypted come back as they are."""
    payloads = await _payloads(request)
    codec = _codec(settings)
    if codec is not None:
        try:
            payloads = await codec.decode(payloads)
        except PayloadUnreadable as err:
            raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=str(err)) from None
    return _answer(payloads)


@router.post("/encode", response_class=Response)
async def encode(request: Request, settings: SettingsDep) -> Response:
    """The payloads encrypted with the current key (what a workflow started from the UI sends)."""
    payloads = await _payloads(request)
    codec = _codec(settings)
    return _answer(await codec.encode(payloads) if codec is not None else payloads)
