"""The completed order a shop sends (`POST /v1/orders`) and what cartnudge answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from contract.carts import MAX_CART_ITEMS
from contract.fields import Currency, Identifier, Money, ShopId

# An order holds what a cart can hold; what it contains is what recommendations learn from.
MAX_ORDER_ITEMS = MAX_CART_ITEMS
MAX_DISCOUNT_CODES = 20


class OrderItem(BaseModel):
    """One line of the order: what was bought, how many, at what price each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Money


def code_key(code: str) -> str:
    """A discount code as codes are compared: without regard to case."""
    return code.lower()


class DiscountCode(BaseModel):
    """A discount code the order used. Codes are matched to cartnudge's own coupons
    without regard to case (Shopify's and WooCommerce's codes are case-insensitive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, Field(min_length=1, max_length=100)]
    amount: Money | None = Field(
        default=None,
        description="What the code took off the order, in the order's currency; "
        "unknown when left out.",
    )


class OrderIn(BaseModel):
    """An order the shop completed; `cart_id` ties it to the cart's journey."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "shop": "demo",
                    "order_id": "o-1001",
                    "cart_id": "abc",
                    "total": "1299.90",
                    "currency": "TRY",
                    "placed_at": "2026-11-22T11:30:00Z",
                    "items": [
                        {
                            "sku": "SKU-1",
                            "name": "Koşu Ayakkabısı",
                            "quantity": 1,
                            "unit_price": "1299.90",
                        }
                    ],
                    "discount_codes": [{"code": "CN-7KQ2M9", "amount": "144.43"}],
                }
            ]
        },
    )

    shop: ShopId
    order_id: Identifier
    cart_id: Identifier
    total: Money
    currency: Currency
    placed_at: AwareDatetime | None = None
    items: Annotated[list[OrderItem], Field(max_length=MAX_ORDER_ITEMS)] = Field(
        default=[], description="The order's lines; optional (recommendations learn from them)."
    )
    discount_codes: Annotated[list[DiscountCode], Field(max_length=MAX_DISCOUNT_CODES)] = Field(
        default=[],
        description="The discount codes the order used; optional. A code cartnudge made shows "
        "as redeemed in the journey's outcome and reports.",
    )

    @field_validator("discount_codes")
    @classmethod
    def codes_once(cls, codes: list[DiscountCode]) -> list[DiscountCode]:
        seen: set[str] = set()
        for discount in codes:
            if code_key(discount.code) in seen:
                raise ValueError(f"discount code {discount.code!r} is listed twice")
            seen.add(code_key(discount.code))
        return codes


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # this order was already recorded; nothing changed


class OrderAccepted(BaseModel):
    workflow_id: str = Field(description="The workflow of the order's cart in Temporal")
    status: OrderStatus
