"""Cart snapshots in, journey state out: each cart is one workflow, `cart-{shop}-{cart_id}`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, status
from temporalio.client import Client
from temporalio.service import RPCError

from api import records
from api.deps import ApiKey, CurrentShop, SessionDep, SettingsDep, TemporalDep, require_own_shop
from api.schemas import CART_EXAMPLE, CartAccepted, CartStatus, ErrorBody, check_timezone
from api.temporal import (
    RPC_TIMEOUT,
    is_not_found,
    is_running,
    signal_if_open,
    unavailable,
)
from settings import Settings
from storage.shops import ShopProfile

# signalled by name, so the API never imports workflow code
from workflows.names import CART_EMPTIED, CART_JOURNEY, STATE, UPDATE_CART
from workflows.search_attributes import initial_search_attributes
from workflows.types import (
    CartEmptied,
    CartJourneyInput,
    CartSnapshot,
    Identifier,
    JourneyState,
    ShopId,
    cart_workflow_id,
)

router = APIRouter(
    prefix="/v1/carts",
    tags=["carts"],
    dependencies=[ApiKey],
    responses={
        401: {"model": ErrorBody, "description": "Missing or wrong API key"},
        403: {"model": ErrorBody, "description": "The API key belongs to another shop"},
        422: {"model": ErrorBody, "description": "Bad input; `errors` names each bad field"},
        503: {"model": ErrorBody, "description": "Temporal or the database is down; retry"},
    },
)

CartId = Annotated[Identifier, Path(description="The shop's id for the cart")]
Shop = Annotated[
    ShopId | None, Query(description="The cart's shop; the API key's shop when left out")
]


@router.put("/{cart_id}", status_code=status.HTTP_202_ACCEPTED)
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
    shop = snapshot.shop
    workflow_id = cart_workflow_id(shop, cart_id)

    def answer(status: CartStatus) -> CartAccepted:
        return CartAccepted(workflow_id=workflow_id, status=status)

    await records.store_consent(session, snapshot)  # in the snapshot's transaction
    if await records.has_purchase(session, shop=shop, cart_id=cart_id):
        await session.commit()
        return answer(CartStatus.PURCHASED)
    fresh = await records.store_snapshot(session, cart_id=cart_id, snapshot=snapshot)
    await session.commit()  # before signalling: what the workflow hears is already stored
    if not fresh:
        return answer(CartStatus.STALE)
    # A replay (same updated_at) signals again: the shop may be retrying after our 503,
    # and the workflow ignores a snapshot that is not newer than the one it holds.
    client = await temporal.client()
    handle = client.get_workflow_handle(workflow_id)
    if snapshot.is_empty:  # an emptied cart ends a running journey and never starts one
        await signal_if_open(handle, UPDATE_CART, snapshot)
        return answer(CartStatus.EMPTIED)
    cooldown = timedelta(hours=settings.rejoin_cooldown_hours)
    if await records.ended_recently(
        session, shop=shop, cart_id=cart_id, within=cooldown
    ) and not await is_running(handle):
        return answer(CartStatus.COOLDOWN)
    await _signal_with_start(client, settings, cart_id=cart_id, snapshot=snapshot)
    return answer(CartStatus.ACCEPTED)


async def _signal_with_start(
    client: Client, settings: Settings, *, cart_id: str, snapshot: CartSnapshot
) -> None:
    """Start the cart's workflow with the snapshot, or hand the snapshot to the running one."""
    try:
        await client.start_workflow(
            CART_JOURNEY,
            CartJourneyInput(shop=snapshot.shop, cart_id=cart_id),
            id=cart_workflow_id(snapshot.shop, cart_id),
            task_queue=settings.task_queue,
            start_signal=UPDATE_CART,
            start_signal_args=[snapshot],
            search_attributes=initial_search_attributes(
                shop=snapshot.shop,
                cart_id=cart_id,
                customer_id=snapshot.customer.id,
                cart_total=float(snapshot.total),
            ),
            rpc_timeout=RPC_TIMEOUT,
        )
    except RPCError as err:
        raise unavailable(
            err, f"start or signal {cart_workflow_id(snapshot.shop, cart_id)}"
        ) from err


@router.delete("/{cart_id}", status_code=status.HTTP_202_ACCEPTED)
async def empty_cart(
    cart_id: CartId,
    current: CurrentShop,
    session: SessionDep,
    temporal: TemporalDep,
    shop: Shop = None,
) -> CartAccepted:
    """The cart was emptied: its journey, if one runs, ends without another message."""
    shop = _own_shop(current, shop)
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
    responses={404: {"model": ErrorBody, "description": "No journey for this cart"}},
)
async def get_journey(
    cart_id: CartId, current: CurrentShop, temporal: TemporalDep, shop: Shop = None
) -> JourneyState:
    """Where the cart's journey stands: status, version, current step, messages, outcome."""
    shop = _own_shop(current, shop)
    workflow_id = cart_workflow_id(shop, cart_id)
    client = await temporal.client()
    try:
        state: JourneyState = await client.get_workflow_handle(workflow_id).query(
            STATE, result_type=JourneyState, rpc_timeout=RPC_TIMEOUT
        )
    except RPCError as err:
        if is_not_found(err):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no journey for cart {cart_id!r} of shop {shop!r}",
            ) from None
        raise unavailable(err, f"query {workflow_id}") from err
    return state


def _own_shop(current: ShopProfile, requested: str | None) -> str:
    if requested is not None:
        require_own_shop(current, requested)
    return current.shop
