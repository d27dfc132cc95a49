"""What a shop's platform is asked to make: one code, for one customer, single use, until
it expires; and the protocol each platform client (shopify.py, woocommerce.py) follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class NewCode:
    code: str
    title: str  # shown to the merchant; the same on a retry, so a retry recognises its code
    starts_at: datetime
    ends_at: datetime
    currency: str
    customer_id: str  # the shop's id for the customer (Shopify: a customer id, or a guest)
    email: str | None  # the customer's address, where the platform can restrict to it
    percent: Decimal | None = None
    amount: Decimal | None = None  # in `currency`

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a coupon is either a percentage or an amount off")


class CouponPlatform(Protocol):
    name: str  # "Shopify", "WooCommerce": how reasons name it

    async def create(self, new: NewCode) -> str:
        """Make the code and return the platform's id for it. A code that exists already is
        accepted when it is this one (an earlier attempt made it, and its answer was lost);
        raises TransientCouponError or PermanentCouponError otherwise."""
        ...
