"""What cartnudge knows of a customer that the shop does not send: the coupons it gave
them and the carts it recovered, for conditions like `customer.coupons_sent_30d == 0`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Coupon, JourneyOutcome
from workflows.payloads import Outcome

ISSUED = "issued"  # a code the customer was given (coupons/: claimed, issued, failed)


async def coupons_sent_since(
    session: AsyncSession, *, shop: str, customer_id: str, since: datetime
) -> int:
    """The codes made for the customer since then (a failed one was never theirs)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Coupon)
        .where(
            Coupon.shop == shop,
            Coupon.customer_id == customer_id,
            Coupon.state == ISSUED,
            Coupon.created_at >= since,
        )
    )
    return int(count or 0)


async def recovered_carts_since(
    session: AsyncSession, *, shop: str, customer_id: str, since: datetime
) -> int:
    """The customer's carts whose journey ended recovered since then."""
    count = await session.scalar(
        select(func.count())
        .select_from(JourneyOutcome)
        .where(
            JourneyOutcome.shop == shop,
            JourneyOutcome.customer_id == customer_id,
            JourneyOutcome.outcome == Outcome.RECOVERED.value,
            JourneyOutcome.ended_at >= since,
        )
    )
    return int(count or 0)
