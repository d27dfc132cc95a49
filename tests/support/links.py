"""The signed tracking links the send activity puts in message r1 of the test cart."""

from __future__ import annotations

import re

from rendering.links import MessageLinks
from tests.support.api import CART, SHOP, WORKFLOW_ID
from tracking.links import TrackedLinks, tracked_links

CHECKOUT_URL = "https://shop.example/checkout/abc"
# A link as SMS and push carry it; the id as tracking/short_links.py makes it.
SHORT_LINK = re.compile(r"(?P<base>\S*)/t/s/(?P<id>[A-Za-z0-9_-]{12})(?![A-Za-z0-9_-])")


def message_links(
    *, secret: str, run_id: str, public_url: str = "", item_urls: dict[str, str] | None = None
) -> MessageLinks:
    """Message r1's pixel and click links, as the run `run_id` signs them with `secret`."""
    return _tracked(secret, run_id, public_url, item_urls, short=False).links


def message_short_links(
    *, secret: str, run_id: str, public_url: str = "", item_urls: dict[str, str] | None = None
) -> TrackedLinks:
    """Message r1's links as an SMS of the run carries them, and the pairs to store."""
    return _tracked(secret, run_id, public_url, item_urls, short=True)


def short_ids(text: str) -> list[str]:
    """The ids of the short links in a text, in order."""
    return [match["id"] for match in SHORT_LINK.finditer(text)]


def _tracked(
    secret: str, run_id: str, public_url: str, item_urls: dict[str, str] | None, *, short: bool
) -> TrackedLinks:
    return tracked_links(
        public_url=public_url,
        secret=secret,
        shop=SHOP,
        cart_id=CART,
        workflow_id=WORKFLOW_ID,
        run_id=run_id,
        message_id="r1",
        checkout_url=CHECKOUT_URL,
        item_urls=item_urls or {},
        short=short,
    )
