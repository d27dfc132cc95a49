"""The completed order a shop sends (`POST /v1/orders`) and what cartnudge answers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.fields import Currency, Identifier, Money, ShopId


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


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # this order was already recorded; nothing changed


class OrderAccepted(BaseModel):
    workflow_id: str = Field(description="The workflow of the order's cart in Temporal")
    status: OrderStatus
