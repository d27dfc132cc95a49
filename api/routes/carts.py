"""Cart snapshots in, journey state out: each cart is one workflow, `cart-{shop}-{cart_id}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, status

import intake.carts
from api.deps import (
    AUTHENTICATED_RESPONSES,
    IDEMPOTENT_ROUTE,
    ApiKey,
    CurrentShop,
    QueriedShop,
    SessionsDep,
    SettingsDep,
    TemporalDep,
    require_own_shop,
)
from api.errors import error_response
from api.schemas import check_timezone
from contract.carts import CART_EXAMPLE, CartAccepted, CartSnapshot
from contract.fields import Identifier
from contract.journeys import JourneyState
from intake.journeys import journey_of

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
    sessions: SessionsDep,
    temporal: TemporalDep,
) -> CartAccepted:
    """Take the cart as it is now: starts the cart's journey or updates the running one."""
    require_own_shop(current, snapshot.shop)
    check_timezone(snapshot)
    return await intake.carts.take_cart(
        cart_id=cart_id, snapshot=snapshot, settings=settings, sessions=sessions, temporal=temporal
    )


@router.delete("/{cart_id}", status_code=status.HTTP_202_ACCEPTED)
async def empty_cart(
    cart_id: CartId, shop: QueriedShop, sessions: SessionsDep, temporal: TemporalDep
) -> CartAccepted:
    """The cart was emptied: its journey, if one runs, ends without another message."""
    return await intake.carts.empty_cart(
        shop=shop, cart_id=cart_id, sessions=sessions, temporal=temporal
    )


@router.get(
    "/{cart_id}/journey",
    responses={404: error_response("No journey for this cart")},
)
async def get_journey(
    cart_id: CartId, shop: QueriedShop, sessions: SessionsDep, temporal: TemporalDep
) -> JourneyState:
    """Where the cart's journey stands: status, version, current step, messages, outcome."""
    state = await journey_of(shop=shop, cart_id=cart_id, sessions=sessions, temporal=temporal)
    if state is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no journey for cart {cart_id!r} of shop {shop!r}"
        )
    return state
