"""The API's request metrics, taken as each answer leaves (pure ASGI middleware).

Labelled by the route's template (`/v1/carts/{cart_id}`, never the path with its ids),
method and status; a path no route matches is `unmatched`, so a scanner's guesses do not
make new series. The cart intake's refusals, replays and 503s are counted here too (the
route never runs for them); the answers it gives are counted by intake/carts.py.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observability.metrics import HTTP_REQUESTS, cart_taken

CART_INTAKE = ("PUT", "/v1/carts/{cart_id}")
# A client may send any method name: the label keeps to these (and `other`).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REPLAYED_HEADER = b"idempotent-replayed"  # api/idempotency.py's, lower-cased as ASGI has it


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer: dict[str, int | bool] = {"status": 500, "replayed": False}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["replayed"] = any(
                    name.lower() == REPLAYED_HEADER for name, _ in message.get("headers", [])
                )
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router put the matched route in the scope on its way in.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            status = int(answer["status"])
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).observe(
                time.perf_counter() - started
            )
            if (method, route) == CART_INTAKE:
                outcome = _intake_outcome(status, replayed=bool(answer["replayed"]))
                if outcome is not None:
                    cart_taken(outcome)


def _intake_outcome(status: int, *, replayed: bool) -> str | None:
    """What the middleware counts; None for an answer the intake itself counted."""
    if replayed:
        return "duplicate"
    if status >= 500:
        return "unavailable"
    if status >= 400:
        return "refused"
    return None
