"""Completed orders: recorded once, and the cart's journey stops for good."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import (
    AUTHENTICATED_RESPONSES,
    IDEMPOTENT_ROUTE,
    ApiKey,
    CurrentShop,
    SessionsDep,
    TemporalDep,
    require_own_shop,
)
from api.errors import error_response
from contract.orders import OrderAccepted, OrderIn
from intake.orders import take_order

router = APIRouter(
    prefix="/v1/orders",
    tags=["orders"],
    dependencies=[ApiKey],
    responses={
        **AUTHENTICATED_RESPONSES,
        503: error_response("Temporal or the database is down; retry", retry=True),
    },
)


@router.post("", status_code=status.HTTP_202_ACCEPTED, **IDEMPOTENT_ROUTE)
async def order_placed(
    order: OrderIn, current: CurrentShop, sessions: SessionsDep, temporal: TemporalDep
) -> OrderAccepted:
    """Record a completed order (once per order id) and end its cart's journey."""
    require_own_shop(current, order.shop)
    return await take_order(order, sessions=sessions, temporal=temporal)
