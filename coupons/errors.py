"""Why a coupon could not be made, as the send activity needs to know it.

CouponError
├── TransientCouponError   try again later: timeout, connection refused, HTTP 5xx, HTTP 429
│                          or Shopify's THROTTLED (`retry_after` seconds when the platform
│                          said)
└── PermanentCouponError   retrying can not help: credentials refused (401, 403), the
                           platform refused the code (Shopify userErrors, WooCommerce 400),
                           an empty pool, a shop without a coupon source

The message reads well after "no coupon: " (what a skipped step's reason says).
"""

from __future__ import annotations


class CouponError(Exception):
    """No code was made for this send."""


class TransientCouponError(CouponError):
    """The platform may make the same code later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentCouponError(CouponError):
    """No code can be made for this send, however often it is asked."""
