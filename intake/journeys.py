"""Where a cart's journey stands: the workflow's answer, and the coupon its order redeemed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.journeys import JourneyState
from intake.mapping import journey_state
from intake.temporal import TemporalGateway
from storage.coupon_redemptions import our_coupon_redeemed
from workflows.client import cart_workflow_id, journey_progress


async def journey_of(
    *,
    shop: str,
    cart_id: str,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> JourneyState | None:
    """The cart's journey state, None without one. The workflow knows the order, not the
    codes it used: those come from our records (no workflow change for them).

    Raises TemporalUnavailable.
    """
    workflow_id = cart_workflow_id(shop, cart_id)
    progress = await journey_progress(await temporal.client(), workflow_id)
    if progress is None:
        return None
    state = journey_state(progress)
    if progress.order_id is None:
        return state
    async with sessions() as session:
        coupon = await our_coupon_redeemed(
            session, shop=shop, order_id=progress.order_id, workflow_id=workflow_id
        )
    if coupon is None:
        return state
    discount = coupon.discount if coupon.currency == state.currency else None
    # validated, so the stored 129.9900 reads 129.99 as the API writes money
    return JourneyState.model_validate(
        {**state.model_dump(), "coupon_code": coupon.code, "discount": discount}
    )
