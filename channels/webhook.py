"""A journey's webhook step: POST to a configured target (a CRM, a Slack channel...).

Targets come from settings (`webhook_targets`), by name. A "json" target receives the
payload the send activity builds:

    {"event": "cartnudge.journey_step", "idempotency_key": "...", "shop": "...",
     "cart_id": "...", "journey": "...", "version": 3, "message_id": "...", "step": "...",
     "occurred_at": "<ISO 8601>", "cart": <CartSnapshot as JSON>}

as compact UTF-8 JSON with these headers:

    Content-Type: application/json
    Idempotency-Key: <idempotency_key>     the same for every attempt at one journey step
    X-Cartnudge-Timestamp: <unix seconds>
    X-Cartnudge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

What a receiver must do:
- recompute the signature over the raw body with the shared secret, compare it in constant
  time, and refuse timestamps more than a few minutes old (a replayed request);
- deduplicate by Idempotency-Key: cartnudge may deliver one step more than once (a timeout
  after the receiver already took it), and relies on the receiver to keep only one;
- answer 2xx to accept. 408, 429 and 5xx are retried (429/503 honour Retry-After); any other
  4xx is taken as a refusal for good.
A receiver may answer with an `X-Message-Id` or `X-Request-Id` header; it is recorded as the
message id, else the idempotency key is.

A "slack" target (an incoming-webhook URL, itself the secret) receives {"text": ...}, a short
staff alert built by `channels.slack.slack_message`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping

import httpx

from channels.errors import PermanentChannelError
from channels.http_errors import post, raise_for_status
from channels.outgoing import WebhookOut
from channels.slack import slack_message
from settings import WebhookTarget

RECEIPT_HEADERS = ("X-Message-Id", "X-Request-Id")


class WebhookSender:
    # JSON receivers deduplicate by Idempotency-Key (their part of the contract above). A Slack
    # channel does not: a repeat there posts the staff alert twice, which we accept.
    repeat_is_harmless = True
    reports_events = False

    def __init__(
        self,
        targets: Mapping[str, WebhookTarget],
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._targets = dict(targets)
        self._client = client
        self._clock = clock

    async def send(self, message: WebhookOut) -> str:
        """POST the payload to the named target; return its receipt id. Raises ChannelError."""
        target = self._targets.get(message.target)
        if target is None:
            raise PermanentChannelError(f"webhook target {message.target!r} is not configured")
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key}
        if target.format == "slack":
            body = _json_bytes(slack_message(message.payload))
        else:
            if target.secret is None:
                raise PermanentChannelError(f"webhook target {message.target!r} has no secret")
            body = _json_bytes(message.payload)
            timestamp = str(int(self._clock()))
            headers["X-Cartnudge-Timestamp"] = timestamp
            headers["X-Cartnudge-Signature"] = signature(
                target.secret.get_secret_value(), timestamp, body
            )
        # the target's name, never its URL: a Slack webhook URL is a secret
        provider = f"webhook {message.target}"
        response = await post(self._client, provider, target.url, content=body, headers=headers)
        raise_for_status(provider, response)
        for name in RECEIPT_HEADERS:
            if receipt := response.headers.get(name):
                return str(receipt)
        return message.idempotency_key


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Cartnudge-Signature value: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
