"""Wrap a message's links for tracking: signed click redirects and an open pixel.

An email carries the signed links themselves; an SMS or a push carries short links to
them (tracking/short_links.py), and the pairs of id and token to store before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rendering.links import MessageLinks
from tracking.short_links import short_id, short_url
from tracking.tokens import TrackingKind, TrackingPayload, sign

OPEN_PATH = "/t/o/"
CLICK_PATH = "/t/c/"


@dataclass(frozen=True)
class TrackedLinks:
    """The links a message carries, and the token behind each of its short links."""

    links: MessageLinks
    short_links: dict[str, str] = field(default_factory=dict)  # short id -> click token


def tracked_links(
    *,
    public_url: str,
    secret: str,
    shop: str,
    cart_id: str,
    workflow_id: str,
    run_id: str,
    message_id: str,
    checkout_url: str,
    item_urls: dict[str, str],
    short: bool = False,
) -> TrackedLinks:
    """The checkout and item links of one message, each through a signed click redirect;
    `short`: through a short link to it (the open pixel stays signed: no text shows it)."""
    base = public_url.rstrip("/")
    short_links: dict[str, str] = {}

    def token(kind: TrackingKind, url: str | None = None) -> str:
        payload = TrackingPayload(
            shop=shop,
            cart_id=cart_id,
            workflow_id=workflow_id,
            run_id=run_id,
            message_id=message_id,
            kind=kind,
            url=url,
        )
        return sign(payload, secret)

    def click(url: str) -> str:
        signed = token("click", url)
        if not short:
            return f"{base}{CLICK_PATH}{signed}"
        id_ = short_id(signed, secret)
        short_links[id_] = signed
        return short_url(base, id_)

    links = MessageLinks(
        checkout_url=click(checkout_url),
        item_urls={sku: click(url) for sku, url in item_urls.items()},
        open_pixel_url=f"{base}{OPEN_PATH}{token('open')}",
    )
    return TrackedLinks(links, short_links)
