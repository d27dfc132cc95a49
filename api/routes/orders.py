"""Completed orders: recorded once, and the cart's journey stops for good."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ApiKey, CurrentShop, SessionDep, TemporalDep, require_own_shop
from api.intake import take_order
from api.schemas import ErrorBody, OrderAccepted, OrderIn

router = APIRouter(
    prefix="/v1/orders",
    tags=["orders"],
    dependencies=[ApiKey],
    responses={
        401: {"model": ErrorBody, "description": "Missing or wrong API key"},
        403: {"model": ErrorBody, "description": "The API key belongs to another shop"},
        422: {"model": ErrorBody, "description": "Bad input; `errors` names each bad field"},
        503: {"model": ErrorBody, "description": "Temporal or the database is down; retry"},
    },
)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def order_placed(
    order: OrderIn, current: CurrentShop, session: SessionDep, temporal: TemporalDep
) -> OrderAccepted:
    """Record a completed order (once per order id) and end its cart's journey."""
    require_own_shop(current, order.shop)
    return await take_order(order, session=session, temporal=temporal)
