"""Cart snapshots in, journey state out: each cart is one workflow, `cart-{shop}-{cart_id}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, status
from temporalio.service import RPCError

from api import records
from api.deps import (
    AUTHENTICATED_RESPONSES,
    IDEMPOTENT_ROUTE,
    ApiKey,
    CurrentShop,
    QueriedShop,
    SessionDep,
    SettingsDep,
    TemporalDep,
    require_own_shop,
)
from api.errors import error_response
from api.intake import take_cart
from api.schemas import check_timezone
from api.temporal import (
    is_not_found,
    signal_if_open,
    unavailable,
)

# signalled by name, so the API never imports workflow code
from contract.carts import CART_EXAMPLE, CartAccepted, CartSnapshot, CartStatus
from contract.fields import Identifier
from contract.journeys import JourneyState
from intake.mapping import journey_state
from workflows.client import RPC_TIMEOUT, cart_workflow_id
from workflows.names import CART_EMPTIED, STATE
from workflows.payloads import CartEmptied, JourneyProgress

router = APIRouter(
    prefix="/v1/carts",
    tags=["carts"],
    dependencies=[ApiKey],
    responses={
        **AUTHENTICATED_RESPONSES,
        503: error_response("Temporal or the database is down; retry", retry=True),
    },
)

CartId = Annotated[Identifier, Path(description="The shop's id for the cart")]


@router.put("/{cart_id}", status_code=status.HTTP_202_ACCEPTED, **IDEMPOTENT_ROUTE)
async def put_cart(
    cart_id: CartId,
    snapshot: Annotated[
        CartSnapshot, Body(openapi_examples={"cart": {"summary": "A cart", "value": CART_EXAMPLE}})
    ],
    current: CurrentShop,
    settings: SettingsDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CartAccepted:
    """Take the cart as it is now: starts the cart's journey or updates the running one."""
    require_own_shop(current, snapshot.shop)
    check_timezone(snapshot)
    return await take_cart(
        cart_id=cart_id, snapshot=snapshot, settings=settings, session=session, temporal=temporal
    )


@router.delete("/{cart_id}", status_code=status.HTTP_202_ACCEPTED)
async def empty_cart(
    cart_id: CartId, shop: QueriedShop, session: SessionDep, temporal: TemporalDep
) -> CartAccepted:
    """The cart was emptied: its journey, if one runs, ends without another message."""
    now = datetime.now(UTC)
    await records.mark_emptied(session, shop=shop, cart_id=cart_id, at=now)
    await session.commit()
    workflow_id = cart_workflow_id(shop, cart_id)
    client = await temporal.client()
    await signal_if_open(
        client.get_workflow_handle(workflow_id), CART_EMPTIED, CartEmptied(emptied_at=now)
    )
    return CartAccepted(workflow_id=workflow_id, status=CartStatus.EMPTIED)


@router.get(
    "/{cart_id}/journey",
    responses={404: error_response("No journey for this cart")},
)
async def get_journey(cart_id: CartId, shop: QueriedShop, temporal: TemporalDep) -> JourneyState:
    """Where the cart's journey stands: status, version, current step, messages, outcome."""
    workflow_id = cart_workflow_id(shop, cart_id)
    client = await temporal.client()
    try:
        progress: JourneyProgress = await client.get_workflow_handle(workflow_id).query(
            STATE, result_type=JourneyProgress, rpc_timeout=RPC_TIMEOUT
        )
    except RPCError as err:
        if is_not_found(err):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no journey for cart {cart_id!r} of shop {shop!r}",
            ) from None
        raise unavailable(err, f"query {workflow_id}") from err
    return journey_state(progress)
