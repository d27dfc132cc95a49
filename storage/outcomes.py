"""Journey outcomes: how each cart's journey (one workflow run) ended, for funnels and
recovered revenue; with the order, which of cartnudge's coupons it redeemed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coupon_redemptions import our_coupon_redeemed
from storage.inserts import insert
from storage.models import JourneyOutcome
from workflows.payloads import Outcome, OutcomeRecord


async def record_outcome(session: AsyncSession, record: OutcomeRecord) -> None:
    """Store the run's outcome unless it is held already (a retry changes nothing), with
    the coupon of ours its order redeemed, read here: the workflow knows only the order id,
    and the order's codes were stored with the order, before the workflow heard of it.

    The caller commits.
    """
    coupon = None
    if record.order_id is not None:
        coupon = await our_coupon_redeemed(
            session,
            shop=record.shop,
            order_id=record.order_id,
            workflow_id=record.workflow_id,
            run_id=record.run_id,
        )
    await session.execute(
        insert(session, JourneyOutcome)
        .values(
            **record.model_dump(),
            coupon_code=coupon.code if coupon else None,
            # in the outcome's currency only: money of two currencies is never mixed
            discount=coupon.discount if coupon and coupon.currency == record.currency else None,
        )
        .on_conflict_do_nothing(index_elements=[JourneyOutcome.workflow_id, JourneyOutcome.run_id])
    )


async def count_outcomes(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(JourneyOutcome)) or 0)


async def finished_cart_ids(session: AsyncSession) -> list[str]:
    """The carts whose journey recorded an outcome."""
    return list(await session.scalars(select(JourneyOutcome.cart_id)))


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
