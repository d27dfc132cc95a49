"""The cart body the bench and the chaos run PUT: one customer per cart, one item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def cart_body(
    *, shop: str, checkout_url: str, customer: dict[str, Any], product: str
) -> dict[str, Any]:
    """A 42.50 EUR cart of one `product`, as of now; `customer` is the body's customer."""
    return {
        "shop": shop,
        "updated_at": datetime.now(UTC).isoformat(),
        "currency": "EUR",
        "total": "42.50",
        "checkout_url": checkout_url,
        "customer": {"locale": "en", **customer},
        "items": [{"sku": "SKU-1", "name": product, "quantity": 1, "unit_price": "42.50"}],
    }
