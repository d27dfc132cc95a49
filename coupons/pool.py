"""Codes the shop uploaded (`cartnudge coupons import SHOP codes.csv`), one per send.

A send claims one free code atomically (storage/coupons.py: `FOR UPDATE SKIP LOCKED` on
PostgreSQL), and keeps it: a retried send gets the code it claimed before. The pool's
codes are the shop's to make single use and expiring in its platform; cartnudge only makes
sure each goes to one customer once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupons.errors import PermanentCouponError, TransientCouponError
from storage import coupons
from storage.coupons import CouponClaim, StoredCoupon


def empty_pool(shop: str) -> str:
    return (
        f"the code pool of shop {shop} is empty: import more codes with "
        f"cartnudge coupons import {shop} codes.csv"
    )


async def claim_pooled(
    sessions: async_sessionmaker[AsyncSession], claim: CouponClaim, *, at: datetime
) -> StoredCoupon:
    """The send's code from the shop's pool; PermanentCouponError when none is free."""
    async with sessions() as session:
        claimed = await coupons.claim_from_pool(session, claim, at=at)
        if claimed is None:
            free, _ = await coupons.pool_counts(session, shop=claim.shop)
    if claimed is not None:
        return claimed
    if free:
        # Free codes, each locked by another send's claim this instant (or the one taken
        # was held already): not an empty pool, so try again in a moment.
        raise TransientCouponError(
            f"the code pool of shop {claim.shop} is busy: trying again", retry_after=1
        )
    raise PermanentCouponError(empty_pool(claim.shop))
