"""Signed tracking tokens: what an open pixel or a click link in a message stands for.

A token is `<payload>.<mac>`, both base64url without padding: the payload is the compact
JSON of a `TrackingPayload`, the mac an HMAC-SHA256 over it with the secret key. Nothing in
a token can be changed without the key, so a click link redirects only where the message
was built to send the customer (no open redirect).

    InvalidToken    raised by `verify` for any bad encoding, tampering or wrong secret
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from workflows.types import WebUrl

# Binds the mac to this use, so a mac made with the same secret for anything else
# (an unsubscribe link, say) is never a valid tracking token.
_DOMAIN = b"cartnudge.tracking.v1."
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """The token was not signed by us with this secret, or is not a tracking token at all."""


TrackingKind = Literal["open", "click"]


class TrackingPayload(BaseModel):
    """One message's open pixel or one of its links, and the workflow run that sent it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shop: str
    cart_id: str
    workflow_id: str
    run_id: str
    message_id: str
    kind: TrackingKind
    url: WebUrl | None = None  # where a click goes (http or https only); never for an open

    @model_validator(mode="after")
    def url_matches_kind(self) -> Self:
        if self.kind == "click" and not self.url:
            raise ValueError("a click token needs the destination url")
        if self.kind == "open" and self.url is not None:
            raise ValueError("an open token has no url")
        return self


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(payload_part: str, secret: str) -> str:
    message = _DOMAIN + payload_part.encode("ascii")
    return _encode(hmac.new(secret.encode(), message, hashlib.sha256).digest())


def sign(payload: TrackingPayload, secret: str) -> str:
    """A URL-safe token carrying `payload`, signed with `secret`."""
    payload_part = _encode(payload.model_dump_json(exclude_none=True).encode())
    return f"{payload_part}.{_mac(payload_part, secret)}"


def verify(token: str, secret: str) -> TrackingPayload:
    """The payload of a token signed with `secret`; `InvalidToken` for anything else."""
    if not _TOKEN.fullmatch(token):
        raise InvalidToken("token is not <payload>.<signature> in base64url")
    payload_part, _, mac_part = token.partition(".")
    # Comparing the canonical encodings leaves no second spelling of a valid token.
    if not hmac.compare_digest(mac_part, _mac(payload_part, secret)):
        raise InvalidToken("token signature does not match")
    try:
        payload = base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
        return TrackingPayload.model_validate_json(payload)
    except (binascii.Error, ValueError):  # pydantic's ValidationError is a ValueError
        raise InvalidToken("token payload is not a tracking payload") from None
