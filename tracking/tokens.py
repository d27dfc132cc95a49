"""Signed tokens: what an open pixel, a click link or an unsubscribe link stands for.

A token is `<payload>.<mac>`, both base64url without padding: the payload is the compact
JSON of a pydantic model, the mac an HMAC-SHA256 over a per-use domain and the payload
with the secret key. Nothing in a token can be changed without the key, so a click link
redirects only where the message was built to send the customer (no open redirect), and
the domain keeps a token made for one use (tracking, unsubscribing) from passing as another.

    InvalidToken    raised by `verify` (and `verify_model`) for any bad encoding,
                    tampering, wrong secret or wrong use
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from contract.fields import WebUrl

# Binds the mac to this use, so a mac made with the same secret for anything else
# (an unsubscribe link, say) is never a valid tracking token.
TRACKING_DOMAIN = b"cartnudge.tracking.v1."
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


ModelT = TypeVar("ModelT", bound=BaseModel)


class InvalidToken(Exception):
    """The token was not signed by us with this secret, or not for this use."""


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


def encode_part(data: bytes) -> str:
    """base64url without padding: one part of a token."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mac(domain: bytes, payload_part: str, secret: str) -> str:
    """The encoded HMAC-SHA256 of `domain + payload_part` with `secret`."""
    message = domain + payload_part.encode("ascii")
    return encode_part(hmac.new(secret.encode(), message, hashlib.sha256).digest())


def sign_model(payload: BaseModel, secret: str, *, domain: bytes) -> str:
    """A URL-safe token carrying `payload`, signed with `secret` for the use `domain`."""
    payload_part = encode_part(payload.model_dump_json(exclude_none=True).encode())
    return f"{payload_part}.{mac(domain, payload_part, secret)}"


def verify_model(token: str, secret: str, *, domain: bytes, model: type[ModelT]) -> ModelT:
    """The `model` inside a token signed with `secret` for `domain`; `InvalidToken` else."""
    if not _TOKEN.fullmatch(token):
        raise InvalidToken("token is not <payload>.<signature> in base64url")
    payload_part, _, mac_part = token.partition(".")
    # Comparing the canonical encodings leaves no second spelling of a valid token.
    if not hmac.compare_digest(mac_part, mac(domain, payload_part, secret)):
        raise InvalidToken("token signature does not match")
    try:
        payload = base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
        return model.model_validate_json(payload)
    except (binascii.Error, ValueError):  # pydantic's ValidationError is a ValueError
        raise InvalidToken(f"token payload is not a {model.__name__}") from None


def sign(payload: TrackingPayload, secret: str) -> str:
    """A URL-safe tracking token carrying `payload`, signed with `secret`."""
    return sign_model(payload, secret, domain=TRACKING_DOMAIN)


def verify(token: str, secret: str) -> TrackingPayload:
    """The payload of a tracking token signed with `secret`; `InvalidToken` for anything else."""
    return verify_model(token, secret, domain=TRACKING_DOMAIN, model=TrackingPayload)
