"""Tests of the provider clients, each against a `FakeApi` standing in for the provider.

FakeApi     answers with the replies it was given, in order (the last one from then on),
            and keeps every request it saw; `client()` is an httpx client wired to it
make_email  an EmailOut as the send activity builds it
a reply     an httpx.Response, a transport error class to raise (httpx.ReadTimeout), or a
            function of the request returning a response
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from channels.outgoing import EmailOut
from tests.factories import make_cart

Reply = httpx.Response | type[httpx.TransportError] | Callable[[httpx.Request], httpx.Response]


class FakeApi:
    def __init__(self, *replies: Reply) -> None:
        assert replies, "give at least one reply"
        self._replies = list(replies)
        self.requests: list[httpx.Request] = []

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    @property
    def request(self) -> httpx.Request:
        """The only request made."""
        [request] = self.requests
        return request

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        if isinstance(reply, type):
            raise reply("timed out", request=request)
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)


_EMAIL = EmailOut(
    idempotency_key="cart-demo_shop-c1:run-1:steps[0]",
    to="ayse@example.com",
    to_name="Ayşe",
    sender="Koşu Dükkanı <hello@shop.example>",
    subject="Sepetinizde ürünler var",
    html="<p>Merhaba</p>",
    text="Merhaba",
    headers={"List-Unsubscribe": "<https://cartnudge.test/u/abc>"},
    metadata={"shop": "demo_shop", "message_id": "r1"},
)


def make_email(**overrides: Any) -> EmailOut:
    return replace(_EMAIL, **overrides)


def journey_step_payload(**cart_overrides: Any) -> dict[str, Any]:
    """The webhook payload the send activity builds, for a cart from the test factories."""
    return {
        "event": "cartnudge.journey_step",
        "idempotency_key": "cart-demo_shop-c1:run-1:steps[2]",
        "shop": "demo_shop",
        "cart_id": "c1",
        "journey": "abandoned_cart",
        "version": 3,
        "message_id": "crm_handoff",
        "step": "steps[2]",
        "occurred_at": datetime(2026, 11, 22, 12, 0, tzinfo=UTC).isoformat(),
        "cart": make_cart(**cart_overrides).model_dump(mode="json"),
    }
