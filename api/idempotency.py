"""`Idempotency-Key` on the authenticated POST/PUT routes: a repeat gets the first answer.

The same key, method, path and body bytes within `idempotency_hours` get the first answer
again (same status and body, header `Idempotent-Replayed: true`) and change nothing. The
same key with another method, path or body gets 409, as does a repeat that arrives while
the first is still running (with Retry-After). Keys belong to the shop of the API key.
Requests without the header are handled as before (the intake is idempotent on its own).

Two halves, because the key belongs to a shop and the answer is known only at the end:

- `claim_key` runs as a dependency of the POST/PUT routes (api.deps.IDEMPOTENT_ROUTE),
  after authentication, where the shop is known and FastAPI has already read the body: it
  claims the key with one INSERT ... ON CONFLICT, or turns the request away with what the
  key holds (`Replay` of the stored answer, or a 409).
- `IdempotencyMiddleware`, pure ASGI, sees the answer leave: for the claim this request
  made it stores status and body before the last byte is sent (a shop that saw the answer
  finds it stored), and drops the claim on a 5xx or a crash, so the shop's retry runs
  again. It also sends the stored answer of a `Replay`.

A dependency alone never sees the serialized answer; a middleware alone would have to
authenticate, and buffer the body the route then streams, a second time.

Kept: 2xx and 4xx answers (a 422 too: a corrected request needs a new key). Dropped: 5xx,
and a 429 never claims (the rate limit is checked first). An answer older than
`idempotency_hours` is replaced by the next request with its key, and each API process
deletes such rows about hourly. A claim left unanswered for `idempotency_in_progress_seconds`
(its process died) is taken over by the next request with its key.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from settings import Settings
from storage import idempotency as stored_requests
from storage.idempotency import Fingerprint, StoredRequest

log = logging.getLogger("cartnudge.api")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255  # idempotent_requests.key
_MAX_TARGET_LENGTH = 2048  # idempotent_requests.path
_METHODS = frozenset({"POST", "PUT"})
_SCOPE_KEY = "cartnudge.idempotency"
_CLAIM_ATTEMPTS = 3  # a claim released between our INSERT and SELECT is claimed again
_IN_PROGRESS_RETRY_AFTER = "1"
_PURGE_EVERY_SECONDS = 3600.0


# The header in the spec, and the 409 it can cause (api.deps.IDEMPOTENT_ROUTE uses it).
IDEMPOTENCY_DOCS: dict[str, Any] = {
    "openapi_extra": {
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Any unique string (e.g. a UUID): a repeat of this request with"
                " the same key gets the first answer and changes nothing",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        ]
    },
    "responses": {
        409: error_response(
            "The Idempotency-Key was used for another request, or its first request is"
            " still running (then retry after Retry-After)",
            retry=True,
        )
    },
}


@dataclass(frozen=True)
class Claim:
    """This request holds the key: its answer is stored, or the claim released, at the end."""

    sessions: async_sessionmaker[AsyncSession]
    shop: str
    key: str
    claimed_at: datetime

    async def record(self, status_code: int, body: bytes) -> None:
        try:
            async with self.sessions() as session:
                await stored_requests.record_answer(
                    session,
                    shop=self.shop,
                    key=self.key,
                    claimed_at=self.claimed_at,
                    status_code=status_code,
                    response_body=body.decode("utf-8", errors="replace"),  # our answers: JSON
                )
                await session.commit()
        except SQLAlchemyError as err:  # the answer still goes out; the claim goes stale
            log.warning("could not store the answer for %s %r: %s", self.shop, self.key, err)

    async def release(self) -> None:
        try:
            async with self.sessions() as session:
                await stored_requests.release(
                    session, shop=self.shop, key=self.key, claimed_at=self.claimed_at
                )
                await session.commit()
        except SQLAlchemyError as err:
            log.warning("could not release %s %r: %s", self.shop, self.key, err)


@dataclass
class _Slot:
    """Where `claim_key` leaves its claim for the middleware, in the request's scope."""

    claim: Claim | None = None
    settled: bool = False  # the answer was stored, or the claim released


class Replay(Exception):
    """The key already holds this request's answer: the middleware sends it again."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body

    def response(self) -> Response:
        return Response(
            content=self.body,
            status_code=self.status_code,
            media_type="application/json" if self.body else None,
            headers={REPLAYED_HEADER: "true"},
        )


async def claim_key(
    request: Request,
    *,
    shop: str,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """Claim the request's Idempotency-Key for `shop`, if it has one (the shop is known).

    Raises `Replay` with the stored answer, 409 when the key belongs to another request
    or its first request still runs, 422 for a key that is empty or too long.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return
    slot = request.scope.get(_SCOPE_KEY)
    if not isinstance(slot, _Slot):
        raise RuntimeError("IdempotencyMiddleware is not installed: see api/app.py")
    _check_key(key)
    fingerprint = Fingerprint(
        method=request.method,
        path=_target(request),
        body_digest=hashlib.sha256(await request.body()).hexdigest(),
    )
    for _ in range(_CLAIM_ATTEMPTS):
        now = datetime.now(UTC)
        # A transaction of its own, committed at once: the claim is visible to a concurrent
        # repeat, and the row it locked is free before the route runs.
        async with sessions.begin() as session:
            claimed = await stored_requests.claim(
                session,
                shop=shop,
                key=key,
                fingerprint=fingerprint,
                now=now,
                expired_before=now - timedelta(hours=settings.idempotency_hours),
                stale_before=now - timedelta(seconds=settings.idempotency_in_progress_seconds),
            )
            found = None if claimed else await stored_requests.find(session, shop=shop, key=key)
        if claimed:
            slot.claim = Claim(sessions=sessions, shop=shop, key=key, claimed_at=now)
            return
        if found is not None:
            _turn_away(key, fingerprint, found)
    raise _in_progress(key)


def _turn_away(key: str, fingerprint: Fingerprint, found: StoredRequest) -> None:
    first = found.fingerprint
    if (first.method, first.path) != (fingerprint.method, fingerprint.path):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{HEADER} {key!r} was already used for {first.method} {first.path}:"
            " send a new key with a new request",
        )
    if first.body_digest != fingerprint.body_digest:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{HEADER} {key!r} was already used with a different body:"
            " send a new key with a new request",
        )
    if found.status_code is None:
        raise _in_progress(key)
    raise Replay(found.status_code, found.response_body or "")


def _in_progress(key: str) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        f"a request with {HEADER} {key!r} is still in progress: retry after Retry-After"
        " seconds to get its answer",
        headers={"Retry-After": _IN_PROGRESS_RETRY_AFTER},
    )


def _check_key(key: str) -> None:
    problem = None
    if not key:
        problem = "must not be empty"
    elif len(key) > MAX_KEY_LENGTH:
        problem = f"at most {MAX_KEY_LENGTH} characters, not {len(key)}"
    if problem is not None:
        raise RequestValidationError(
            [{"type": "idempotency_key", "loc": ("header", HEADER), "msg": problem}]
        )


def _target(request: Request) -> str:
    """Path and query, as the request names them; a digest when too long to store."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if len(target) > _MAX_TARGET_LENGTH:
        return "sha256:" + hashlib.sha256(target.encode()).hexdigest()
    return target


class IdempotencyMiddleware:
    """Stores the answer of each claimed request, sends replays; see the module docstring."""

    def __init__(self, app: ASGIApp, *, retention: timedelta) -> None:
        self.app = app
        self.retention = retention
        self._next_purge = 0.0  # monotonic; the first claimed request purges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS
            or HEADER not in Headers(scope=scope)
        ):
            await self.app(scope, receive, send)
            return
        slot = scope[_SCOPE_KEY] = _Slot()
        status_code = 0
        body = bytearray()

        async def answering_send(message: Message) -> None:
            nonlocal status_code
            if slot.claim is not None and not slot.settled:
                if message["type"] == "http.response.start":
                    status_code = message["status"]
                    if status_code >= 500:  # no answer to keep: the shop's retry must run
                        slot.settled = True
                        await slot.claim.release()
                elif message["type"] == "http.response.body":
                    body.extend(message.get("body", b""))
                    if not message.get("more_body", False):
                        slot.settled = True
                        await slot.claim.record(status_code, bytes(body))
            await send(message)

        try:
            await self.app(scope, receive, answering_send)
        except Replay as replay:
            await replay.response()(scope, receive, send)
        finally:
            if slot.claim is not None and not slot.settled:  # the app failed before answering
                await slot.claim.release()
        if slot.claim is not None:
            await self._purge_now_and_then(slot.claim.sessions)

    async def _purge_now_and_then(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Delete expired keys, at most once an hour per process, after an answer went out."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
        try:
            async with sessions() as session:
                purged = await stored_requests.purge_expired(
                    session, before=datetime.now(UTC) - self.retention
                )
                await session.commit()
        except SQLAlchemyError as err:
            log.warning("could not purge expired idempotency keys: %s", err)
            return
        if purged:
            log.info("purged %d expired idempotency keys", purged)
