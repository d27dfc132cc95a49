"""What the API takes and answers, beyond the boundary types in workflows.types.

The cart body is `workflows.types.CartSnapshot` itself: the shop's contract and the
workflow's signal are one model, so they can not drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from workflows.types import CartSnapshot, Currency, Identifier, Money, ShopId

CART_EXAMPLE: dict[str, Any] = {
    "shop": "demo",
    "updated_at": "2026-11-22T10:00:00Z",
    "currency": "TRY",
    "total": "1299.90",
    "checkout_url": "https://shop.example/checkout/abc",
    "customer": {
        "id": "c-1",
        "email": "ayse@example.com",
        "phone": "+905321234567",
        "first_name": "Ayşe",
        "locale": "tr-TR",
        "timezone": "Europe/Istanbul",
        "consent": {"email": True, "sms": False},
    },
    "items": [
        {
            "sku": "SKU-1",
            "name": "Koşu Ayakkabısı",
            "quantity": 1,
            "unit_price": "1299.90",
            "image_url": "https://shop.example/i/1.jpg",
            "url": "https://shop.example/p/1",
        }
    ],
}


def check_timezone(snapshot: CartSnapshot) -> None:
    """Refuse a customer timezone the IANA database does not know, naming the field."""
    name = snapshot.customer.timezone
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not even a valid key
        raise RequestValidationError(
            [
                {
                    "type": "timezone",
                    "loc": ("body", "customer", "timezone"),
                    "msg": f"unknown timezone {name!r}: use an IANA name such as Europe/Istanbul",
                }
            ]
        ) from None


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


class CartStatus(StrEnum):
    ACCEPTED = "accepted"  # the cart's journey was started or updated
    STALE = "stale"  # older than the snapshot already held: ignored
    PURCHASED = "purchased"  # the cart was bought: it never starts a journey again
    COOLDOWN = "cooldown"  # a journey for this cart ended recently: no new one yet
    EMPTIED = "emptied"  # the cart is empty: any running journey ends


class CartAccepted(BaseModel):
    workflow_id: str = Field(description="The cart's workflow in Temporal")
    status: CartStatus


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # this order was already recorded; nothing changed


class OrderAccepted(BaseModel):
    workflow_id: str = Field(description="The workflow of the order's cart in Temporal")
    status: OrderStatus


class FieldError(BaseModel):
    field: str = Field(examples=["customer.email", "items[0].unit_price"])
    problem: str


class ErrorBody(BaseModel):
    """Every error the API answers: what went wrong and, for bad input, each bad field."""

    detail: str
    errors: list[FieldError] = []


class HealthStatus(StrEnum):
    OK = "ok"  # the API can take events
    UNAVAILABLE = "unavailable"  # a dependency is down: intake answers 503 meanwhile


class DependencyStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"


class Health(BaseModel):
    """Whether the API can take events, and each dependency it needs for that."""

    status: HealthStatus
    database: DependencyStatus
    temporal: DependencyStatus
