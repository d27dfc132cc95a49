"""What crosses the Temporal boundary: the workflow's input, signals, query and activity I/O.

Small frozen pydantic models, sent with the pydantic data converter and kept in stored
histories. They are cartnudge's own, not the public API's: the intake maps what a shop sends
(contract/) onto `Cart`, so a field added to the API changes no workflow payload unless the
intake maps it. This module imports nothing of the project, nor SQLAlchemy, httpx or
FastAPI, so the workflow sandbox, the journey schema and rendering can all load it cheaply.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- vocabulary shared with the journey files ---------------------------------------


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WEBHOOK = "webhook"


class WhenCapped(StrEnum):
    """What a message does when the customer's frequency cap for its channel is reached."""

    DEFER = "defer"  # wait until the cap allows it
    SKIP = "skip"  # drop this message (recorded with the reason) and go on


# --- the cart, as the workflow holds it ---------------------------------------------


class ShopperConsent(_Frozen):
    """Channels the shopper agreed to get commercial messages on, as this cart says."""

    email: bool = False
    sms: bool = False
    push: bool = False


class Shopper(_Frozen):
    """The cart's customer: who gets the messages and how to reach them."""

    id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    locale: str = "en"
    timezone: str | None = None
    push_token: str | None = None  # Firebase Cloud Messaging registration token
    consent: ShopperConsent = ShopperConsent()
    orders_count: int | None = None  # what the shop knows: orders before this cart
    tags: list[str] = []  # the shop's tags for the customer

    @property
    def contact(self) -> str | None:
        """The address that names the person across guest checkouts: email, else phone."""
        return self.email or self.phone


class LineItem(_Frozen):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    image_url: str | None = None
    url: str | None = None


class Cart(_Frozen):
    """The whole cart at one moment; a newer `updated_at` replaces an older one."""

    shop: str
    updated_at: datetime
    currency: str
    total: Decimal
    checkout_url: str
    customer: Shopper
    items: list[LineItem] = []

    @property
    def is_empty(self) -> bool:
        return not self.items


# --- workflow input and signals -----------------------------------------------------


class CartJourneyInput(_Frozen):
    shop: str
    cart_id: str


class OrderPlaced(_Frozen):
    order_id: str
    total: Decimal
    currency: str
    placed_at: datetime | None = None


class CartEmptied(_Frozen):
    emptied_at: datetime | None = None


class EngagementKind(StrEnum):
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"


class Engagement(_Frozen):
    """The customer (or their mailbox) did something with one of our messages."""

    message_id: str
    kind: EngagementKind
    occurred_at: datetime | None = None
    channel: Channel | None = None  # the channel it happened on (an unsubscribe's channel)


class Cancellation(_Frozen):
    reason: str = "cancelled"


# --- the query ----------------------------------------------------------------------


class JourneyStatus(StrEnum):
    WATCHING = "watching"  # waiting for the cart to go quiet
    IN_JOURNEY = "in_journey"  # abandoned: running the journey's steps
    AWAITING_PURCHASE = "awaiting_purchase"  # all steps done; a purchase still counts
    FINISHED = "finished"


class Outcome(StrEnum):
    RECOVERED = "recovered"  # bought after abandonment
    PURCHASED = "purchased"  # bought before the cart counted as abandoned
    EMPTIED = "emptied"
    NOT_ENTERED = "not_entered"  # the journey's entry condition refused the cart
    NOT_LIVE = "not_live"  # no release of the shop's journey was activated: nothing to run
    EXPIRED = "expired"  # journey and conversion window over, no purchase
    EXITED = "exited"  # an exit step ended the journey
    UNSUBSCRIBED = "unsubscribed"  # the customer unsubscribed or complained
    UNREACHABLE = "unreachable"  # a hard bounce: the address does not exist
    CANCELLED = "cancelled"
    # In the journey's holdout: never messaged, watched for a purchase through the same
    # window; order_id and revenue say whether and how much it bought.
    HELD_OUT = "held_out"


class MessageStatus(StrEnum):
    """What became of one journey step's message, as the workflow knows it."""

    SENT = "sent"
    SKIPPED = "skipped"  # not sent on purpose (no consent, no address); reason says why
    FAILED = "failed"  # the provider refused it for good
    UNCERTAIN = "uncertain"  # an earlier attempt died mid-send; never resent
    DEFERRED = "deferred"  # waiting for quiet hours or a frequency cap to allow it
    # The order check before the send found the cart bought: nothing sent, the journey ends
    # as recovered. A send's result only; the journey's state never lists such a message.
    BOUGHT = "bought"


class MessageProgress(_Frozen):
    message_id: str
    step: str
    channel: Channel
    template: str
    status: MessageStatus
    reason: str | None = None
    sent_at: datetime | None = None  # workflow time
    deferred_until: datetime | None = None
    opened: bool = False
    clicked: bool = False


class JourneyProgress(_Frozen):
    """The answer to the `state` query: where the cart's journey stands."""

    shop: str
    cart_id: str
    status: JourneyStatus
    journey: str | None = None
    version: int | None = None
    release_id: str | None = None
    current_step: str | None = None
    cart_total: Decimal
    currency: str
    messages: list[MessageProgress] = []
    outcome: Outcome | None = None
    order_id: str | None = None
    revenue: Decimal | None = None
    held_out: bool = False  # in the journey's holdout: nothing is sent
    arms: dict[str, str] = {}  # experiment -> the arm the cart took at its split


# --- activity input and output ------------------------------------------------------


class JourneyLookup(_Frozen):
    """Which release a cart gets is decided by its shop and, within a split, its id."""

    shop: str
    cart_id: str


class JourneyTrigger(_Frozen):
    """What the workflow needs before abandonment: which journey, how long is 'quiet'."""

    journey: str
    inactivity: timedelta


class QuietWindow(_Frozen):
    """No customer message between `start` and `end` ("HH:MM"), local time."""

    start: str
    end: str


class SendRequest(_Frozen):
    """Send one journey step's message for the cart as it is now."""

    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    journey: str
    version: int
    release_id: str  # the cart's release: the send renders its templates
    step: str  # path of the step in the journey, e.g. "steps[2].else[0]"
    message_id: str
    channels: list[Channel]  # in order of preference; the first reachable one is used
    template: str | None  # None for webhook steps
    target: str | None = None  # webhook steps: the configured target
    default_locale: str
    cart: Cart
    # Workflow time when the step came due: quiet hours and caps are judged against it.
    due_at: datetime | None = None
    quiet_hours: QuietWindow | None = None
    when_capped: WhenCapped = WhenCapped.DEFER
    arms: dict[str, str] = {}  # experiment -> arm, stored on the message row for reports

    @property
    def outbox_key(self) -> str:
        """The step's outbox key: one row per workflow run and step, however often retried."""
        return f"{self.workflow_id}:{self.run_id}:{self.step}"


class SendResult(_Frozen):
    status: MessageStatus
    reason: str | None = None
    channel: Channel | None = None  # the channel used (or tried last)
    retry_at: datetime | None = None  # DEFERRED: when to try again
    order: OrderPlaced | None = None  # BOUGHT: the order the check found

    @model_validator(mode="after")
    def _order_iff_bought(self) -> Self:
        if (self.status == MessageStatus.BOUGHT) != (self.order is not None):
            raise ValueError("a send result carries an order exactly when it is 'bought'")
        return self


class OutcomeRecord(_Frozen):
    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    customer_id: str
    journey: str | None
    version: int | None
    release_id: str | None = None
    outcome: Outcome
    order_id: str | None = None
    revenue: Decimal | None = None
    currency: str
    messages_sent: int = 0
    ended_at: datetime
    held_out: bool = False
    arms: dict[str, str] = {}  # experiment -> the arm the cart took


# --- experiments and the holdout ------------------------------------------------------


class JourneyEntry(_Frozen):
    """A cart entering its journey at abandonment (entry condition passed): recorded for
    reports, and given its holdout membership and experiment arms (experiments/)."""

    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    customer_id: str
    release_id: str
    abandoned_at: datetime  # workflow time
    cart_total: Decimal
    currency: str


class EntryDecision(_Frozen):
    held_out: bool


class ArmRequest(_Frozen):
    """A cart reaching a split step: which arm it takes."""

    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    customer_id: str
    release_id: str
    experiment: str
    reached_at: datetime  # workflow time


class ArmChoice(_Frozen):
    arm: str
    reason: str  # "assigned" (sticky), "decided" (the recorded winner), "stopped" (control)


class CustomerLookup(_Frozen):
    """A condition needs what cartnudge knows of the customer (or the catalog of the cart)."""

    shop: str
    cart_id: str
    customer_id: str
    contact: str | None = None  # email (else phone): the same guest across checkouts
    skus: list[str]  # the cart's, for cart.out_of_stock_count
    names: list[str]  # the looked-up names the condition uses (expressions.LOOKED_UP)
    at: datetime  # workflow time: the windows (30 days, 90 days) end here


class CustomerFacts(_Frozen):
    """The looked-up names' values; None where it was not asked for."""

    coupons_sent_30d: int | None = None
    recovered_carts_90d: int | None = None
    out_of_stock_count: int | None = None  # 0 when the shop has no catalog or it did not answer

    def values(self) -> dict[str, object]:
        """By condition name, as numbers (expressions compare Decimals)."""
        named = {
            "customer.coupons_sent_30d": self.coupons_sent_30d,
            "customer.recovered_carts_90d": self.recovered_carts_90d,
            "cart.out_of_stock_count": self.out_of_stock_count,
        }
        return {name: Decimal(value) for name, value in named.items() if value is not None}
