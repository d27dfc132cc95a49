"""Coupons made for sends, and the codes shops upload into their pool.

A platform's code is claimed here, `claimed`, before the platform is asked to make it:

    (none) ─claim─> claimed ─issued─> issued
                       └─────failed─> failed   (the platform refused it, or gave up)

A pool's code goes from free to issued in one transaction: the pool row is claimed with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers anyway) and the coupon row
written with it, so two sends never get one code and a retried send finds its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import Coupon, Message, PooledCoupon
from storage.outbox import OutboxState


class CouponState(StrEnum):
    CLAIMED = "claimed"  # stored with its code; the platform may or may not hold it yet
    ISSUED = "issued"  # the platform (or the pool) holds it: it may go to the customer
    FAILED = "failed"  # no code for this send, for good


@dataclass(frozen=True)
class CouponClaim:
    """What a send's coupon is, before any platform is asked."""

    key: str  # the send's outbox key
    shop: str
    code: str
    source: str  # shopify, woocommerce, pool
    customer_id: str
    workflow_id: str
    run_id: str
    message_id: str
    currency: str
    expires_at: datetime
    percent: Decimal | None = None
    amount: Decimal | None = None
    contact_digest: str | None = None  # coupons/recipients.py


@dataclass(frozen=True)
class StoredCoupon:
    key: str
    shop: str
    code: str
    source: str
    customer_id: str
    message_id: str
    currency: str
    expires_at: datetime
    state: CouponState
    created_at: datetime
    percent: Decimal | None
    amount: Decimal | None
    failure: str | None
    platform_ref: str | None

    @classmethod
    def of(cls, row: Coupon) -> StoredCoupon:
        return cls(
            key=row.key,
            shop=row.shop,
            code=row.code,
            source=row.source,
            customer_id=row.customer_id,
            message_id=row.message_id,
            currency=row.currency,
            expires_at=row.expires_at,
            state=CouponState(row.state),
            created_at=row.created_at,
            percent=row.percent,
            amount=row.amount,
            failure=row.failure,
            platform_ref=row.platform_ref,
        )


async def coupon_of(session: AsyncSession, key: str) -> StoredCoupon | None:
    row = await session.scalar(select(Coupon).where(Coupon.key == key))
    return StoredCoupon.of(row) if row is not None else None


async def claim_coupon(session: AsyncSession, claim: CouponClaim) -> StoredCoupon | None:
    """The send's coupon row: written now with `claim`'s code, or the one an earlier attempt
    wrote (whatever its code). None when another send of the shop holds the code: derive
    another. The caller commits, before it asks the platform."""
    await session.execute(
        insert(session, Coupon)
        .values(**_columns(claim), state=CouponState.CLAIMED.value)
        .on_conflict_do_nothing()
    )
    return await coupon_of(session, claim.key)


async def mark_issued(
    session: AsyncSession, key: str, *, platform_ref: str | None, at: datetime
) -> None:
    """The platform holds the code. The caller commits."""
    await session.execute(
        update(Coupon)
        .where(Coupon.key == key, Coupon.state == CouponState.CLAIMED.value)
        .values(state=CouponState.ISSUED.value, platform_ref=platform_ref, issued_at=at)
    )


async def mark_failed(session: AsyncSession, key: str, *, reason: str) -> None:
    """No code for this send, for good. The caller commits."""
    await session.execute(
        update(Coupon)
        .where(Coupon.key == key, Coupon.state == CouponState.CLAIMED.value)
        .values(state=CouponState.FAILED.value, failure=reason[:300])
    )


async def coupons_sent_since(
    session: AsyncSession,
    *,
    shop: str,
    customer_id: str,
    contact_digest: str | None,
    since: datetime,
) -> int:
    """How many coupons reached the customer since `since` (customer.coupons_sent_30d): by
    their id or their contact's digest (a guest's id is new on every checkout), and only
    those whose message went out (a code made for a send that then failed never did)."""
    same_person = Coupon.customer_id == customer_id
    if contact_digest is not None:
        same_person = or_(same_person, Coupon.contact_digest == contact_digest)
    count = await session.scalar(
        select(func.count())
        .select_from(Coupon)
        .join(Message, Message.key == Coupon.key)
        .where(
            Coupon.shop == shop,
            same_person,
            Coupon.issued_at >= since,
            Coupon.state == CouponState.ISSUED.value,
            # uncertain: an attempt died mid-delivery, so the code may well have arrived
            Message.status.in_([OutboxState.SENT.value, OutboxState.UNCERTAIN.value]),
        )
    )
    return int(count or 0)


# --- the shop's pool -------------------------------------------------------------------


async def claim_from_pool(
    session: AsyncSession, claim: CouponClaim, *, at: datetime
) -> StoredCoupon | None:
    """The send's coupon with a code of the shop's pool, issued; the one an earlier attempt
    took if there is one. None when the pool has no free code. Commits (one transaction:
    the pool row and the coupon row together, or neither)."""
    held = await coupon_of(session, claim.key)
    if held is not None:
        return held
    free = (
        select(PooledCoupon.code)
        .where(PooledCoupon.shop == claim.shop, PooledCoupon.claimed_by.is_(None))
        .order_by(PooledCoupon.imported_at, PooledCoupon.code)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    code = await session.scalar(
        update(PooledCoupon)
        .where(
            PooledCoupon.shop == claim.shop,
            PooledCoupon.code == free,
            PooledCoupon.claimed_by.is_(None),  # SQLite has no row locks: checked again
        )
        .values(claimed_by=claim.key, claimed_at=at)
        .returning(PooledCoupon.code)
    )
    if code is None:
        await session.rollback()
        return None
    columns = _columns(claim) | {"code": code, "source": "pool"}
    session.add(Coupon(**columns, state=CouponState.ISSUED.value, issued_at=at))
    try:
        await session.commit()
    except IntegrityError:
        # Another attempt of the same send took a code meanwhile: it keeps its own.
        await session.rollback()
        return await coupon_of(session, claim.key)
    return await coupon_of(session, claim.key)


@dataclass(frozen=True)
class Imported:
    added: int
    duplicates: int  # already in the pool (or twice in the file)
    free: int  # free codes of the shop now


async def import_pool_codes(session: AsyncSession, *, shop: str, codes: Iterable[str]) -> Imported:
    """Add the codes to the shop's pool; codes held already are skipped. The caller commits."""
    written = list(codes)
    unique = list(dict.fromkeys(written))
    added = 0
    for start in range(0, len(unique), 500):
        batch = unique[start : start + 500]
        result = await session.execute(
            insert(session, PooledCoupon)
            .values([{"shop": shop, "code": code} for code in batch])
            .on_conflict_do_nothing()
            .returning(PooledCoupon.code)
        )
        added += len(result.all())
    free, _ = await pool_counts(session, shop=shop)
    return Imported(added=added, duplicates=len(written) - added, free=free)


async def pool_counts(session: AsyncSession, *, shop: str) -> tuple[int, int]:
    """(free, claimed) codes of the shop's pool."""
    rows = await session.execute(
        select(PooledCoupon.claimed_by.is_(None), func.count())
        .where(PooledCoupon.shop == shop)
        .group_by(PooledCoupon.claimed_by.is_(None))
    )
    counts = {bool(free): int(count) for free, count in rows.all()}
    return counts.get(True, 0), counts.get(False, 0)


def _columns(claim: CouponClaim) -> dict[str, object]:
    return {
        "key": claim.key,
        "shop": claim.shop,
        "code": claim.code,
        "source": claim.source,
        "customer_id": claim.customer_id,
        "workflow_id": claim.workflow_id,
        "run_id": claim.run_id,
        "message_id": claim.message_id,
        "percent": claim.percent,
        "amount": claim.amount,
        "currency": claim.currency,
        "expires_at": claim.expires_at,
        "contact_digest": claim.contact_digest,
    }
