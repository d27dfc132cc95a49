"""The body limit middleware on a bare ASGI app: what the counting catches that the
Content-Length check can not (a length that lies), and that bodies still stream."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_limit import BodyLimitMiddleware

LIMIT = 150


class Reader:
    """An app that reads the body chunk by chunk, as a route does, and answers its size."""

    def __init__(self) -> None:
        self.chunks: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            self.chunks.append(len(message.get("body", b"")))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(sum(self.chunks)).encode()})


async def call(app: ASGIApp, *, chunks: list[bytes], content_length: int | None) -> list[Message]:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    pending = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_a_lying_content_length_is_caught_by_counting() -> None:
    reader = Reader()

    sent = await call(
        BodyLimitMiddleware(reader, max_bytes=LIMIT), chunks=[b"x" * 100] * 3, content_length=10
    )

    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == {
        "detail": f"request body too large: at most {LIMIT} bytes (CARTNUDGE_MAX_BODY_BYTES)",
        "errors": [],
    }
    assert reader.chunks == [100]  # the chunk that crossed the limit never reached the app


async def test_a_declared_length_above_the_limit_never_reaches_the_app() -> None:
    reader = Reader()

    sent = await call(
        BodyLimitMiddleware(reader, max_bytes=LIMIT), chunks=[b"x"], content_length=LIMIT + 1
    )

    assert sent[0]["status"] == 413
    assert reader.chunks == []


async def test_a_body_within_the_limit_streams_through_chunk_by_chunk() -> None:
    reader = Reader()

    sent = await call(
        BodyLimitMiddleware(reader, max_bytes=LIMIT), chunks=[b"x" * 50] * 3, content_length=None
    )

    assert (sent[0]["status"], sent[1]["body"]) == (200, b"150")
    assert reader.chunks == [50, 50, 50]
