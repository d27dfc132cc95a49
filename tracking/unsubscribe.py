"""Signed unsubscribe links: which address stops getting a shop's messages on a channel.

Every email carries one, in its body (`unsubscribe_url` in the template context) and in
its headers for the mail client's own button (RFC 8058 one-click). The token is signed
like a tracking token but for its own use, so neither passes for the other.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tracking.tokens import sign_model, verify_model

# Binds the mac to this use: a tracking token signed with the same secret never unsubscribes.
_DOMAIN = b"cartnudge.unsubscribe.v1."

UNSUBSCRIBE_PATH = "/u/"


class UnsubscribePayload(BaseModel):
    """The address one message went to, and the workflow run that sent it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shop: str
    channel: str
    address: str
    workflow_id: str
    run_id: str
    message_id: str


def sign_unsubscribe(payload: UnsubscribePayload, secret: str) -> str:
    """A URL-safe token carrying `payload`, signed with `secret`."""
    return sign_model(payload, secret, domain=_DOMAIN)


def verify_unsubscribe(token: str, secret: str) -> UnsubscribePayload:
    """The payload of an unsubscribe token signed with `secret`; `InvalidToken` otherwise."""
    return verify_model(token, secret, domain=_DOMAIN, model=UnsubscribePayload)


def unsubscribe_url(public_url: str, secret: str, payload: UnsubscribePayload) -> str:
    """The page that unsubscribes `payload.address`; also the RFC 8058 one-click target."""
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}{sign_unsubscribe(payload, secret)}"


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """The email headers that give mail clients an unsubscribe button (RFC 2369, RFC 8058)."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
