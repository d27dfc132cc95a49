"""A request body above `max_body_bytes` gets 413, on every route, before it is stored.

A pure ASGI middleware, because it must see every route (webhooks read their bodies
themselves) and the body as it streams in:

- a Content-Length above the limit is refused at once, before any route runs;
- without a Content-Length (chunked), or with one that lies, the chunks are counted as the
  route reads them, and the read that crosses the limit raises `BodyTooLarge`. It is an
  HTTPException, so the app's own handler answers it in the usual error shape wherever the
  body was read (FastAPI re-raises HTTPExceptions from its body parsing); should it escape
  the app before an answer started, the middleware answers it itself.

The route still reads the body chunk by chunk: nothing is buffered here.
"""

from __future__ import annotations

from fastapi import status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import ErrorBody

SETTING = "CARTNUDGE_MAX_BODY_BYTES"


class BodyTooLarge(HTTPException):
    """The request body is larger than the limit: 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"request body too large: at most {max_bytes} bytes ({SETTING})",
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _answer(BodyTooLarge(self.max_bytes), scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as too_large:
            if started:
                raise
            await _answer(too_large, scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # a server refuses it before us; counting still applies


async def _answer(error: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
    body = ErrorBody(detail=error.detail, errors=[])
    response = JSONResponse(jsonable_encoder(body), status_code=error.status_code)
    await response(scope, receive, send)
