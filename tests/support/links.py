"""The signed tracking links the send activity puts in message r1 of the test cart."""

from __future__ import annotations

from rendering.links import MessageLinks
from tests.support.api import CART, SHOP, WORKFLOW_ID
from tracking.links import tracked_links

CHECKOUT_URL = "https://shop.example/checkout/abc"


def message_links(
    *, secret: str, run_id: str, public_url: str = "", item_urls: dict[str, str] | None = None
) -> MessageLinks:
    """Message r1's pixel and click links, as the run `run_id` signs them with `secret`."""
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
    )
