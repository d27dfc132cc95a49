"""Completed orders: recorded once, and the cart's journey stops for good."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import records
from api.deps import ApiKey, CurrentShop, SessionDep, TemporalDep, require_own_shop
from api.schemas import ErrorBody, OrderAccepted, OrderIn, OrderStatus
from api.temporal import signal_if_open
from workflows.names import ORDER_PLACED
from workflows.types import OrderPlaced, cart_workflow_id

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
    stored, created = await records.record_order(session, order)
    await session.commit()
    # Signalled on a replay too: the shop may be retrying because our signal failed.
    workflow_id = cart_workflow_id(stored.shop, stored.cart_id)
    client = await temporal.client()
    await signal_if_open(
        client.get_workflow_handle(workflow_id),
        ORDER_PLACED,
        OrderPlaced(
            order_id=stored.order_id,
            total=stored.total,
            currency=stored.currency,
            placed_at=stored.placed_at,
        ),
    )
    return OrderAccepted(
        workflow_id=workflow_id,
        status=OrderStatus.ACCEPTED if created else OrderStatus.DUPLICATE,
    )
