"""The cart a shop sends (`PUT /v1/carts/{cart_id}`) and what cartnudge answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contract.fields import Currency, Identifier, Locale, Money, ShopId, WebUrl


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Consent(_Frozen):
    """Channels the customer agreed to receive commercial messages on; missing means no."""

    email: bool = False
    sms: bool = False
    push: bool = False


class Customer(_Frozen):
    id: Identifier
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    first_name: Annotated[str, Field(max_length=100)] | None = None
    locale: Locale = "en"
    timezone: Annotated[str, Field(max_length=64)] | None = None
    # Firebase Cloud Messaging registration token of the customer's app install, for push.
    push_token: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    consent: Consent = Consent()
    # What the shop knows of the customer, for journey conditions ("only as a last resort":
    # `customer.orders_count == 0`, `"vip" in customer.tags`); optional.
    orders_count: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Orders the customer placed with the shop before this cart."
    )
    tags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=50)
    ] = Field(default=[], description="The shop's tags for the customer, e.g. vip, wholesale.")

    @model_validator(mode="after")
    def reachable(self) -> Customer:
        if not (self.email or self.phone):
            raise ValueError("customer needs at least one way to be reached: email or phone")
        return self


class CartItem(_Frozen):
    sku: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Money
    image_url: WebUrl | None = None
    url: WebUrl | None = None


MAX_CART_ITEMS = 250


class CartSnapshot(_Frozen):
    """The whole cart at one moment; a newer `updated_at` replaces an older snapshot."""

    shop: ShopId
    updated_at: AwareDatetime
    currency: Currency
    total: Money
    checkout_url: WebUrl
    customer: Customer
    # Bounds the snapshot that every update signal carries and the workflow holds.
    items: Annotated[list[CartItem], Field(max_length=MAX_CART_ITEMS)] = []

    @property
    def is_empty(self) -> bool:
        return not self.items


class CartStatus(StrEnum):
    ACCEPTED = "accepted"  # the cart's journey was started or updated
    STALE = "stale"  # older than the snapshot already held: ignored
    PURCHASED = "purchased"  # the cart was bought: it never starts a journey again
    COOLDOWN = "cooldown"  # a journey for this cart ended recently: no new one yet
    EMPTIED = "emptied"  # the cart is empty: any running journey ends


class CartAccepted(BaseModel):
    workflow_id: str = Field(description="The cart's workflow in Temporal")
    status: CartStatus


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
