"""What crosses the simulated customer's Temporal boundary: a leaf, pydantic and personas only."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from journey_tools.personas import ConsentSpec, Persona
from workflows.payloads import Channel

# The simulated customer's workflow, signals and activities, by name.
SIMULATED_CUSTOMER = "simulated_customer"
MESSAGE_ARRIVED = "message_arrived"
CART_ENDED = "cart_ended"
START_CART = "simulated_start_cart"
ENGAGE = "simulated_engage"
BUY = "simulated_buy"
STATE_CONSENT = "simulated_state_consent"


def checkout_url(cart_id: str) -> str:
    """The simulated shop's checkout link of a cart."""
    return f"https://shop.example/checkout/{cart_id}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerPlan(_Frozen):
    """One persona, with the ids it plays under and the instant its first cart is abandoned."""

    persona: Persona
    index: int  # its place in the run: tells its customers' addresses apart
    shop: str
    customer_id: str
    email: str | None
    phone: str | None
    push_token: str | None
    cart_ids: list[str]
    abandoned_at: datetime  # the first cart's abandonment
    # The journey's inactivity window, in seconds: a cart starts this long before it counts
    # as abandoned.
    inactivity_seconds: float


class StartCart(_Frozen):
    plan: CustomerPlan
    cart: int  # 0-based, into plan.persona.carts
    at: datetime  # the snapshot's updated_at: the customer's last change to the cart
    consent: ConsentSpec  # as the shop knows it now: the cart carries it
    customer_workflow_id: str


class MessageArrived(_Frozen):
    """A message reached the customer (the simulator's capture saw it go out)."""

    key: str  # the outbox key
    channel: Channel
    cart_id: str
    message_id: str


class Engage(_Frozen):
    kind: str  # an ActionKind: open, click, unsubscribe
    message: MessageArrived
    address: str  # where the message went (the number a STOP comes from)
    checkout_url: str


class Buy(_Frozen):
    shop: str
    cart_id: str
    total: str
    currency: str
    at: datetime


class StateConsent(_Frozen):
    shop: str
    customer_id: str
    consent: ConsentSpec
    at: datetime


class CustomerEvent(_Frozen):
    """Something the customer did, for the timeline."""

    at: datetime
    cart_id: str | None
    action: str  # an ActionKind, or "cart" for a cart left behind
    text: str  # "clicks r1", "buys: order o-buys-1"


class CartEnded(_Frozen):
    cart_id: str
