"""Small builders for test data; each test states only what it cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.carts import CartItem, CartSnapshot, Consent, Customer
from data_at_rest.cipher import DataCipher
from intake.mapping import cart_payload
from storage import shops
from storage.models import ApiKey, Order
from storage.shops import key_digest
from tests.support.data_keys import dev_cipher
from workflows.payloads import Cart

_BASE_TIME = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def make_customer(**overrides: Any) -> Customer:
    values: dict[str, Any] = {
        "id": "c-1",
        "email": "ayse@example.com",
        "first_name": "Ayşe",
        "locale": "tr-TR",
        "timezone": "Europe/Istanbul",
        "consent": Consent(email=True),
    }
    return Customer(**{**values, **overrides})


def make_item(**overrides: Any) -> CartItem:
    values: dict[str, Any] = {
        "sku": "SKU-1",
        "name": "Koşu Ayakkabısı",
        "quantity": 1,
        "unit_price": Decimal("1299.90"),
        "image_url": "https://shop.example/i/1.jpg",
        "url": "https://shop.example/p/1",
    }
    return CartItem(**{**values, **overrides})


def make_snapshot(*, minutes: int = 0, **overrides: Any) -> CartSnapshot:
    """A cart as the shop sends it; `minutes` moves its updated_at so later ones are newer."""
    items = overrides.pop("items") if "items" in overrides else [make_item()]
    values: dict[str, Any] = {
        "shop": "demo_shop",
        "updated_at": _BASE_TIME + timedelta(minutes=minutes),
        "currency": "TRY",
        "total": sum((i.unit_price * i.quantity for i in items), Decimal(0)),
        "checkout_url": "https://shop.example/checkout/abc",
        "customer": make_customer(),
        "items": items,
    }
    return CartSnapshot(**{**values, **overrides})


def make_cart(*, minutes: int = 0, **overrides: Any) -> Cart:
    """The same cart as the workflow and its activities hold it (what the intake maps)."""
    return cart_payload(make_snapshot(minutes=minutes, **overrides))


async def add_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    shop: str,
    key: str | None,
    cipher: DataCipher | None = None,
    **fields: Any,
) -> None:
    """Store a shop, and an API key for it that the test chose (so it can send it); its
    secrets encrypted with `cipher`, the test processes' dev key unless given."""
    values: dict[str, Any] = {
        "timezone": "Europe/Istanbul",
        "locale": "tr-TR",
        "currency": "TRY",
    }
    async with sessions() as session:
        await shops.add_shop(
            session, shop=shop, profile={**values, **fields}, cipher=cipher or dev_cipher()
        )
        if key is not None:
            session.add(ApiKey(shop=shop, digest=key_digest(key), prefix=key[:10]))
        await session.commit()


async def add_order(
    sessions: async_sessionmaker[AsyncSession],
    *,
    order_id: str,
    cart_id: str,
    total: str,
    shop: str = "demo_shop",
    currency: str = "TRY",
) -> None:
    """Store an order as one that reached us earlier, by whichever door."""
    async with sessions() as session:
        session.add(
            Order(
                shop=shop,
                order_id=order_id,
                cart_id=cart_id,
                total=Decimal(total),
                currency=currency,
            )
        )
        await session.commit()
