"""Shops, their credentials and their API keys.

A shop's secrets (SECRET_COLUMNS) are stored encrypted (data_at_rest/cipher.py): written
through `add_shop` and `update_shop`, which encrypt, and read as a ShopProfile, which holds
them decrypted. Every function that reads or writes one takes the cipher. A value stored
before encryption reads as it is, until `reencrypt_secrets` encrypts it.

An API key is `cn_` followed by 32 random bytes (URL-safe base64). It is shown once, when
created; only its SHA-256 digest is stored. That is enough for a key with this much
randomness: it can not be guessed, so it needs no slow hash, and a look-up by digest is
one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data_at_rest.cipher import DataCipher, key_id_of
from storage.models import ApiKey, Shop

KEY_PREFIX = "cn_"
SHOWN_PREFIX = 10  # "cn_" and 7 more: tells keys apart in listings, useless for guessing
TABLE = "shops"
# Stored encrypted, the shop id and column name as associated data.
SECRET_COLUMNS = (
    "shopify_secret",
    "woocommerce_secret",
    "order_lookup_token",
    "shopify_admin_token",
    "woocommerce_consumer_key",
    "woocommerce_consumer_secret",
    "catalog_token",
)
# What each integration needs of the shop: the CLI refuses a source without them, and
# activation and the send say which are missing (coupons/sources.py).
SHOPIFY_ADMIN = ("shopify_domain", "shopify_admin_token")
WOOCOMMERCE_REST = ("woocommerce_url", "woocommerce_consumer_key", "woocommerce_consumer_secret")
INTEGRATION_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("coupon_source", "shopify"): SHOPIFY_ADMIN,
    ("coupon_source", "woocommerce"): WOOCOMMERCE_REST,
    ("coupon_source", "pool"): (),
    ("catalog_source", "shopify"): SHOPIFY_ADMIN,
    ("catalog_source", "woocommerce"): WOOCOMMERCE_REST,
    ("catalog_source", "endpoint"): ("catalog_url",),
}
COUPON_SOURCES = tuple(source for kind, source in INTEGRATION_NEEDS if kind == "coupon_source")
CATALOG_SOURCES = tuple(source for kind, source in INTEGRATION_NEEDS if kind == "catalog_source")


@dataclass(frozen=True)
class ShopProfile:
    """What the API and the activities need to know of a shop (secrets decrypted)."""

    shop: str
    name: str
    timezone: str
    locale: str
    currency: str
    email_from: str | None
    shopify_domain: str | None
    shopify_secret: str | None = field(repr=False)  # never in a log line
    woocommerce_secret: str | None = field(repr=False)  # never in a log line
    order_lookup_url: str | None
    order_lookup_token: str | None = field(repr=False)  # never in a log line
    coupon_source: str | None = None  # "shopify", "woocommerce", "pool"
    catalog_source: str | None = None  # "shopify", "woocommerce", "endpoint"
    shopify_admin_token: str | None = field(default=None, repr=False)
    woocommerce_url: str | None = None
    woocommerce_consumer_key: str | None = field(default=None, repr=False)
    woocommerce_consumer_secret: str | None = field(default=None, repr=False)
    catalog_url: str | None = None
    catalog_token: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, row: Shop, cipher: DataCipher) -> ShopProfile:
        """The row's profile; raises UnreadableSecret when a secret does not decrypt."""

        def value(column: str) -> str | None:
            stored: str | None = getattr(row, column)
            if stored is None or column not in SECRET_COLUMNS:
                return stored
            return cipher.decrypt(stored, table=TABLE, row=row.shop, column=column)

        # Every field is the Shop column of its name, the secrets decrypted.
        values: dict[str, Any] = {f.name: value(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True)
class ShopSummary:
    """A shop as listings and checks see it: which secrets it holds, never a secret, and
    read without decrypting (so it lists even when a key is missing)."""

    shop: str
    name: str
    timezone: str
    locale: str
    currency: str
    shopify_domain: str | None
    order_lookup_url: str | None
    coupon_source: str | None
    catalog_source: str | None
    woocommerce_url: str | None
    catalog_url: str | None
    secrets: frozenset[str]  # the SECRET_COLUMNS that hold a value

    @classmethod
    def of(cls, row: Shop) -> ShopSummary:
        columns: dict[str, Any] = {
            f.name: getattr(row, f.name) for f in fields(cls) if f.name != "secrets"
        }
        held = frozenset(c for c in SECRET_COLUMNS if getattr(row, c) is not None)
        return cls(**columns, secrets=held)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def get_shop(session: AsyncSession, shop: str, *, cipher: DataCipher) -> ShopProfile | None:
    row = await session.get(Shop, shop)
    return ShopProfile.of(row, cipher) if row is not None else None


async def shop_for_key(
    session: AsyncSession, key: str, *, cipher: DataCipher
) -> ShopProfile | None:
    """The shop an unrevoked API key belongs to; None for any other key."""
    row = await session.scalar(
        select(Shop)
        .join(ApiKey, ApiKey.shop == Shop.shop)
        .where(ApiKey.digest == key_digest(key), ApiKey.revoked_at.is_(None))
    )
    return ShopProfile.of(row, cipher) if row is not None else None


async def shop_for_shopify_domain(
    session: AsyncSession, domain: str, *, cipher: DataCipher
) -> ShopProfile | None:
    row = await session.scalar(select(Shop).where(Shop.shopify_domain == domain.lower()))
    return ShopProfile.of(row, cipher) if row is not None else None


async def shop_id_for_shopify_domain(session: AsyncSession, domain: str) -> str | None:
    """The id of the shop connected to this Shopify domain, nothing decrypted."""
    found: str | None = await session.scalar(
        select(Shop.shop).where(Shop.shopify_domain == domain.lower())
    )
    return found


async def shop_summary(session: AsyncSession, shop: str) -> ShopSummary | None:
    """The shop, no secret decrypted; None when there is no such shop."""
    row = await session.get(Shop, shop)
    return ShopSummary.of(row) if row is not None else None


async def list_shops(session: AsyncSession) -> list[ShopSummary]:
    """Every shop, by id, no secret decrypted."""
    rows = await session.scalars(select(Shop).order_by(Shop.shop))
    return [ShopSummary.of(row) for row in rows]


def _encrypted(shop: str, values: Mapping[str, Any], cipher: DataCipher) -> dict[str, Any]:
    """The Shop columns with every secret among them encrypted (None and "" stay as given)."""
    return {
        column: cipher.encrypt(value, table=TABLE, row=shop, column=column)
        if column in SECRET_COLUMNS and value
        else value
        for column, value in values.items()
    }


async def add_shop(
    session: AsyncSession, *, shop: str, profile: Mapping[str, Any], cipher: DataCipher
) -> None:
    """A new shop with these Shop columns (secrets in plaintext: stored encrypted); its name
    is its id unless given. The caller commits (a shop id or Shopify domain already held
    fails then, on the unique key)."""
    session.add(Shop(shop=shop, **{"name": shop, **_encrypted(shop, profile, cipher)}))
    await session.flush()


async def update_shop(
    session: AsyncSession, *, shop: str, changes: Mapping[str, Any], cipher: DataCipher
) -> bool:
    """Set these Shop columns of the shop (secrets in plaintext: stored encrypted); False
    when there is no such shop. The caller commits."""
    result = await session.execute(
        update(Shop)
        .where(Shop.shop == shop)
        .values(**_encrypted(shop, changes, cipher))
        .returning(Shop.shop)
    )
    return result.first() is not None


@dataclass(frozen=True)
class Rotation:
    """What `reencrypt_secrets` did."""

    secrets: int  # re-encrypted, plaintext ones included
    shops: int  # that held at least one of them
    plaintext: int  # of `secrets`, those stored before encryption
    left_under_old_keys: int  # still not under the current key afterwards (0 when done)


async def reencrypt_secrets(session: AsyncSession, *, cipher: DataCipher) -> Rotation:
    """Encrypt every stored secret not yet under the cipher's current key with it: plaintext
    and old keys' values alike. Raises UnreadableSecret (and changes nothing the caller
    commits) for a value no listed key opens. The rows are locked until the caller commits."""
    rows = await session.scalars(select(Shop).order_by(Shop.shop).with_for_update())
    secrets_done = shops_done = plaintext = 0
    for row in rows:
        changes = {}
        for column in SECRET_COLUMNS:
            stored: str | None = getattr(row, column)
            if stored is None or cipher.is_current(stored):
                continue
            value = cipher.decrypt(stored, table=TABLE, row=row.shop, column=column)
            changes[column] = cipher.encrypt(value, table=TABLE, row=row.shop, column=column)
            plaintext += key_id_of(stored) is None
        if changes:
            await session.execute(update(Shop).where(Shop.shop == row.shop).values(**changes))
            secrets_done += len(changes)
            shops_done += 1
    return Rotation(
        secrets=secrets_done,
        shops=shops_done,
        plaintext=plaintext,
        left_under_old_keys=await _not_current(session, cipher),
    )


async def _not_current(session: AsyncSession, cipher: DataCipher) -> int:
    rows = await session.execute(select(*(getattr(Shop, c) for c in SECRET_COLUMNS)))
    return sum(
        1
        for values in rows
        for stored in values
        if stored is not None and not cipher.is_current(stored)
    )


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
