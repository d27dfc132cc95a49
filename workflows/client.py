"""The client side of the cart workflow: its id, how a journey starts, how it is told things.

Used by the intake (API, platform webhooks), the bench and the tests; never by workflow
code. Calls go by name (workflows.names), so no caller imports the workflow itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle

from workflows.names import CART_JOURNEY, UPDATE_CART
from workflows.payloads import Cart, CartJourneyInput, JourneyProgress
from workflows.search_attributes import initial_search_attributes

# Long enough for the client's own retries of a brief outage, short enough for an HTTP call.
RPC_TIMEOUT = timedelta(seconds=10)


def cart_workflow_id(shop: str, cart_id: str) -> str:
    """One workflow per cart, ever: the id the intake starts and signals."""
    return f"cart-{shop}-{cart_id}"


async def start_cart_journey(
    client: Client, *, task_queue: str, cart_id: str, cart: Cart
) -> WorkflowHandle[Any, JourneyProgress]:
    """Signal-with-start: start the cart's workflow with the cart, or hand the cart to the
    running one. The one way a cart's journey starts. Raises RPCError."""
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
            customer_id=cart.customer.id,
            cart_total=float(cart.total),
        ),
        rpc_timeout=RPC_TIMEOUT,
    )
