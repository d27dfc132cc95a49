"""Wrap a message's links for tracking: signed click redirects and an open pixel."""

from __future__ import annotations

from rendering.links import MessageLinks
from tracking.tokens import TrackingKind, TrackingPayload, sign

OPEN_PATH = "/t/o/"
CLICK_PATH = "/t/c/"


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
) -> MessageLinks:
    """The checkout and item links of one message, each through a signed click redirect."""
    base = public_url.rstrip("/")

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
        return f"{base}{CLICK_PATH}{token('click', url)}"

    return MessageLinks(
        checkout_url=click(checkout_url),
        item_urls={sku: click(url) for sku, url in item_urls.items()},
        open_pixel_url=f"{base}{OPEN_PATH}{token('open')}",
    )
