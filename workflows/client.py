"""The client side of the cart workflow: its id, how a journey starts, how it is told things.

Used by the intake (API, platform webhooks), the bench and the tests; never by workflow
code. Calls go by name (workflows.names), so no caller imports the workflow itself.

TemporalUnavailable   Temporal could not be reached or refused a call; the API answers 503
                      and the shop or provider retries (every intake is idempotent)
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from workflows.names import CART_JOURNEY, STATE, UPDATE_CART
from workflows.payloads import Cart, CartJourneyInput, JourneyProgress
from workflows.search_attributes import JOURNEY_RELEASE, initial_search_attributes

log = logging.getLogger("cartnudge.temporal")

# Each attempt's deadline. It does not bound the call: the SDK retries a refused connection
# (retry_config: up to 10 s in all) whatever it says. The API's calls are bounded, and
# refused at once while Temporal is known down, by intake/temporal.py's FailFast.
RPC_TIMEOUT = timedelta(seconds=10)


class TemporalUnavailable(Exception):
    """Temporal could not be reached, or failed the call for a reason other than not-found."""


def cart_workflow_id(shop: str, cart_id: str) -> str:
    """One workflow per cart, ever: the id the intake starts and signals."""
    return f"cart-{shop}-{cart_id}"


def is_not_found(err: RPCError) -> bool:
    return err.status == RPCStatusCode.NOT_FOUND


def unavailable(err: RPCError, action: str) -> TemporalUnavailable:
    """The typed error for any Temporal failure the caller does not handle itself."""
    log.warning("Temporal failed to %s: %s (%s)", action, err.message, err.status.name)
    return TemporalUnavailable(f"Temporal failed to {action}")


async def start_cart_journey(
    client: Client, *, task_queue: str, cart_id: str, cart: Cart, customer_key: str | None = None
) -> WorkflowHandle[Any, JourneyProgress]:
    """Signal-with-start: start the cart's workflow with the cart, or hand the cart to the
    running one. The one way a cart's journey starts. Raises RPCError.

    `customer_key` (search_attributes.customer_key) makes the customer findable in the UI;
    the intake always gives it, the bench and workflow tests need not."""
    return await client.start_workflow(
        CART_JOURNEY,
        CartJourneyInput(shop=cart.shop, cart_id=cart_id),
        id=cart_workflow_id(cart.shop, cart_id),
        task_queue=task_queue,
        start_signal=UPDATE_CART,
        start_signal_args=[cart],
        result_type=JourneyProgress,
        search_attributes=initial_search_attributes(
            shop=cart.shop,
            cart_id=cart_id,
            customer_key=customer_key,
            cart_total=float(cart.total),
        ),
        rpc_timeout=RPC_TIMEOUT,
    )


async def signal_if_open(handle: WorkflowHandle[Any, Any], signal: str, arg: Any) -> bool:
    """Signal the workflow run; False when it does not exist or has already completed.

    Raises TemporalUnavailable.
    """
    try:
        await handle.signal(signal, arg, rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if is_not_found(err):
            return False
        raise unavailable(err, f"signal {signal} to {handle.id}") from err
    return True


async def is_running(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow's latest run is still open. Raises TemporalUnavailable."""
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if is_not_found(err):
            return False
        raise unavailable(err, f"describe {handle.id}") from err
    return description.status == WorkflowExecutionStatus.RUNNING


async def journey_progress(client: Client, workflow_id: str) -> JourneyProgress | None:
    """The cart workflow's answer to the `state` query; None when there is no such workflow.

    Raises TemporalUnavailable.
    """
    try:
        progress: JourneyProgress = await client.get_workflow_handle(workflow_id).query(
            STATE, result_type=JourneyProgress, rpc_timeout=RPC_TIMEOUT
        )
    except RPCError as err:
        if is_not_found(err):
            return None
        raise unavailable(err, f"query {workflow_id}") from err
    return progress


async def carts_in_flight(client: Client, release_id: str) -> int:
    """How many carts are running on a release (Temporal visibility, search attributes)."""
    query = f'{JOURNEY_RELEASE.name} = "{release_id}" AND ExecutionStatus = "Running"'
    try:
        counted = await client.count_workflows(query, rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        raise TemporalUnavailable(str(err)) from err
    return counted.count
