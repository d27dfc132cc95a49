"""What a message knows beyond the cart snapshot, gathered by the send activity right
before it renders: the step's coupon, the items as the shop's catalog has them now, and
products that go with the cart.

Each part is optional and empty by default: a message renders from the snapshot alone
when a shop has no catalog, a step no offer, or the shop no order history yet. Plain
frozen dataclasses, so rendering never depends on where they came from (coupons/,
catalog/, recommendations/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# An item with fewer than this many in stock is "low stock" unless the journey says
# otherwise (`low_stock_below`).
DEFAULT_LOW_STOCK_BELOW = 5


@dataclass(frozen=True)
class IssuedCoupon:
    """A code made for this customer and step: a percentage or an amount off, until then."""

    code: str
    expires_at: datetime
    percent: Decimal | None = None
    amount: Decimal | None = None  # in the cart's currency

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a coupon is either a percentage or an amount off")


@dataclass(frozen=True)
class ProductNow:
    """One product (variant) as the shop's catalog has it at send time."""

    sku: str
    available: bool  # false: out of stock (or no longer sold); never shown as available
    price: Decimal | None = None  # in the cart's currency; None: the catalog did not say
    compare_at_price: Decimal | None = None
    inventory: int | None = None  # None: the shop does not track stock for it
    image_url: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Recommendation:
    """A product to show beside the cart: bought together with its items, or popular."""

    sku: str
    name: str
    price: Decimal | None = None  # in the cart's currency
    image_url: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class LiveContent:
    coupon: IssuedCoupon | None = None
    catalog: Mapping[str, ProductNow] = field(default_factory=dict)  # by sku
    recommendations: Sequence[Recommendation] = ()
    low_stock_below: int = DEFAULT_LOW_STOCK_BELOW
