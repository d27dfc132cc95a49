"""The discount codes orders used (`coupon_redemptions`), and which of them are cartnudge's.

A code is stored as the order reported it, once per order; it is matched to cartnudge's
coupons (`coupons`) without regard to case, as Shopify and WooCommerce match codes at
checkout: `lower(code)` on both sides, in this module and in storage/reports.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import Coupon, CouponRedemption


@dataclass(frozen=True)
class NewRedemption:
    code: str
    amount: Decimal | None  # what it took off, in the order's currency; None: not said


async def add_redemptions(
    session: AsyncSession,
    *,
    shop: str,
    order_id: str,
    currency: str,
    redeemed_at: datetime,
    codes: Sequence[NewRedemption],
) -> None:
    """Store the codes the order used; codes held already stay as they are (a replay adds
    nothing). The caller passes each code once, and commits."""
    if not codes:
        return
    await session.execute(
        insert(session, CouponRedemption)
        .values(
            [
                {
                    "shop": shop,
                    "order_id": order_id,
                    "code": code.code,
                    "amount": code.amount,
                    "currency": currency,
                    "redeemed_at": redeemed_at,
                }
                for code in codes
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[
                CouponRedemption.shop,
                CouponRedemption.order_id,
                CouponRedemption.code,
            ]
        )
    )


def same_code(ours: Any, theirs: Any) -> Any:
    """The condition that two code columns hold one code: case does not count."""
    return func.lower(ours) == func.lower(theirs)


def redeemed_discount(
    amount: Any = CouponRedemption.amount, currency: Any = CouponRedemption.currency
) -> Any:
    """What a redemption (its amount and currency columns) of one of our coupons took off:
    the amount the order reported, else a fixed-amount coupon's own amount in the same
    currency (a percent coupon's is unknown without it). Over a join with Coupon."""
    return func.coalesce(amount, case((Coupon.currency == currency, Coupon.amount), else_=None))


@dataclass(frozen=True)
class Redeemed:
    code: str  # our coupon's code, as we made it
    discount: Decimal | None  # in `currency`; None when the order did not say
    currency: str


async def our_coupon_redeemed(
    session: AsyncSession,
    *,
    shop: str,
    order_id: str,
    workflow_id: str,
    run_id: str | None = None,
) -> Redeemed | None:
    """The coupon of cartnudge's that the order used, if it used one: the run's own first
    (the one this journey gave; any run of the cart's when `run_id` is None), then any
    other of the shop's (an earlier cart's)."""
    own = Coupon.workflow_id == workflow_id
    if run_id is not None:
        own = and_(own, Coupon.run_id == run_id)
    found = (
        await session.execute(
            select(Coupon.code, redeemed_discount(), CouponRedemption.currency)
            .select_from(CouponRedemption)
            .join(
                Coupon,
                and_(
                    Coupon.shop == CouponRedemption.shop,
                    same_code(Coupon.code, CouponRedemption.code),
                ),
            )
            # Any state: a code an order used exists at the platform, even when our
            # record of making it was cut short (claimed, never marked issued).
            .where(CouponRedemption.shop == shop, CouponRedemption.order_id == order_id)
            .order_by(case((own, 0), else_=1), Coupon.id)
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    code, discount, currency = found
    return Redeemed(code, Decimal(discount) if discount is not None else None, currency)


async def redemptions_of(
    session: AsyncSession, *, shop: str, order_id: str
) -> list[CouponRedemption]:
    """The codes the order used, by code."""
    return list(
        await session.scalars(
            select(CouponRedemption)
            .where(CouponRedemption.shop == shop, CouponRedemption.order_id == order_id)
            .order_by(CouponRedemption.code)
        )
    )
