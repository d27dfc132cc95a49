"""Shops and their API keys.

An API key is `cn_` followed by 32 random bytes (URL-safe base64). It is shown once, when
created; only its SHA-256 digest is stored. That is enough for a key with this much
randomness: it can not be guessed, so it needs no slow hash, and a look-up by digest is
one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiKey, Shop

KEY_PREFIX = "cn_"
SHOWN_PREFIX = 10  # "cn_" and 7 more: tells keys apart in listings, useless for guessing


@dataclass(frozen=True)
class ShopProfile:
    """What the API and the activities need to know of a shop (secrets included)."""

    shop: str
    name: str
    timezone: str
    locale: str
    currency: str
    email_from: str | None
    shopify_domain: str | None
    shopify_secret: str | None
    woocommerce_secret: str | None
    order_lookup_url: str | None
    order_lookup_token: str | None
    coupon_source: str | None = None  # "shopify", "woocommerce", "pool"
    catalog_source: str | None = None  # "shopify", "woocommerce", "endpoint"
    shopify_admin_token: str | None = None
    woocommerce_url: str | None = None
    woocommerce_consumer_key: str | None = None
    woocommerce_consumer_secret: str | None = None
    catalog_url: str | None = None
    catalog_token: str | None = None

    @classmethod
    def of(cls, row: Shop) -> ShopProfile:
        return cls(
            shop=row.shop,
            name=row.name,
            timezone=row.timezone,
            locale=row.locale,
            currency=row.currency,
            email_from=row.email_from,
            shopify_domain=row.shopify_domain,
            shopify_secret=row.shopify_secret,
            woocommerce_secret=row.woocommerce_secret,
            order_lookup_url=row.order_lookup_url,
            order_lookup_token=row.order_lookup_token,
            coupon_source=row.coupon_source,
            catalog_source=row.catalog_source,
            shopify_admin_token=row.shopify_admin_token,
            woocommerce_url=row.woocommerce_url,
            woocommerce_consumer_key=row.woocommerce_consumer_key,
            woocommerce_consumer_secret=row.woocommerce_consumer_secret,
            catalog_url=row.catalog_url,
            catalog_token=row.catalog_token,
        )


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def get_shop(session: AsyncSession, shop: str) -> ShopProfile | None:
    row = await session.get(Shop, shop)
    return ShopProfile.of(row) if row is not None else None


async def shop_for_key(session: AsyncSession, key: str) -> ShopProfile | None:
    """The shop an unrevoked API key belongs to; None for any other key."""
    row = await session.scalar(
        select(Shop)
        .join(ApiKey, ApiKey.shop == Shop.shop)
        .where(ApiKey.digest == key_digest(key), ApiKey.revoked_at.is_(None))
    )
    return ShopProfile.of(row) if row is not None else None


async def shop_for_shopify_domain(session: AsyncSession, domain: str) -> ShopProfile | None:
    row = await session.scalar(select(Shop).where(Shop.shopify_domain == domain.lower()))
    return ShopProfile.of(row) if row is not None else None


async def list_shops(session: AsyncSession) -> list[ShopProfile]:
    """Every shop, by id."""
    return [ShopProfile.of(row) for row in await session.scalars(select(Shop).order_by(Shop.shop))]


async def add_shop(session: AsyncSession, *, shop: str, profile: Mapping[str, Any]) -> None:
    """A new shop with these Shop columns; its name is its id unless given. The caller
    commits (a shop id or Shopify domain already held fails then, on the unique key)."""
    session.add(Shop(shop=shop, **{"name": shop, **profile}))
    await session.flush()


async def update_shop(session: AsyncSession, *, shop: str, changes: Mapping[str, Any]) -> bool:
    """Set these Shop columns of the shop; False when there is no such shop. The caller
    commits."""
    result = await session.execute(
        update(Shop).where(Shop.shop == shop).values(**changes).returning(Shop.shop)
    )
    return result.first() is not None


@dataclass(frozen=True)
class ListedKey:
    """An API key as listings show it: never the key, only its first characters."""

    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


async def list_api_keys(session: AsyncSession, *, shop: str) -> list[ListedKey]:
    """The shop's keys, oldest first, revoked ones included."""
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.shop == shop).order_by(ApiKey.created_at)
    )
    return [
        ListedKey(
            prefix=row.prefix, label=row.label, created_at=row.created_at, revoked_at=row.revoked_at
        )
        for row in rows
    ]


async def create_api_key(session: AsyncSession, *, shop: str, label: str | None = None) -> str:
    """A new key for the shop; the caller shows it once and commits. Only its digest is kept."""
    key = new_api_key()
    session.add(ApiKey(shop=shop, digest=key_digest(key), prefix=key[:SHOWN_PREFIX], label=label))
    await session.flush()
    return key


async def revoke_api_key(session: AsyncSession, *, shop: str, prefix: str) -> int:
    """Revoke the shop's unrevoked key whose listed prefix this is (or the whole key); how
    many were revoked. A shorter prefix is refused: "cn_" alone would name every key."""
    if len(prefix) < SHOWN_PREFIX:
        raise ValueError(
            f"{prefix!r} is too short to name one key: give the {SHOWN_PREFIX} characters"
            " `cartnudge keys list` shows"
        )
    result = await session.execute(
        update(ApiKey)
        .where(
            ApiKey.shop == shop,
            ApiKey.prefix == prefix[:SHOWN_PREFIX],
            ApiKey.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
        .returning(ApiKey.id)
    )
    return len(result.all())
