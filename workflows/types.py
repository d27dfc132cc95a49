"""Data that crosses the Temporal boundary: workflow input, signals, query, activity I/O.

Pydantic models (sent with the pydantic data converter). This module imports neither
SQLAlchemy nor httpx, so the workflow sandbox can load it cheaply.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from journey_schema.models import QuietHours, WhenCapped


def _refuse_float(value: Any) -> Any:
    # A float has already lost cents (0.1 + 0.2); the contract is a decimal string.
    if isinstance(value, float):
        raise ValueError('money must be a decimal string such as "12.90", not a JSON number')
    return value


_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal(10) ** 10  # stored as NUMERIC(14, 4): 10 digits before the point


def _check_money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite amount")
    if value < 0:
        raise ValueError("money can not be negative")
    if value >= _MONEY_LIMIT:
        raise ValueError(
            f"money must be less than {_MONEY_LIMIT:f} (at most 10 digits before the point)"
        )
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("money has at most 4 decimal places")
    if value.as_tuple().exponent < -2 and value == value.quantize(_CENT):  # type: ignore[operator]
        # the database keeps 4 places: 4250.0000 reads back as 4250.00
        return value.quantize(_CENT)
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_refuse_float),
    AfterValidator(_check_money),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{1,10}(\.\d{1,4})?$", "examples": ["1299.90"]}
    ),
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


def _check_currency(value: str) -> str:
    if not _CURRENCY.match(value):
        raise ValueError("currency must be an ISO 4217 code such as TRY or EUR")
    return value


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError("locale must look like tr-TR, en or en-GB")
    return value


# The documented schemas say what the validators check, so clients (and the property run
# over the OpenAPI spec) know the rules before a 422 tells them.
Currency = Annotated[
    str,
    AfterValidator(_check_currency),
    WithJsonSchema({"type": "string", "pattern": _CURRENCY.pattern, "examples": ["TRY"]}),
]
WebUrl = Annotated[
    str,
    Field(max_length=2048),
    AfterValidator(_check_url),
    WithJsonSchema({"type": "string", "maxLength": 2048, "pattern": r"^https?://"}),
]
Locale = Annotated[
    str,
    AfterValidator(_check_locale),
    WithJsonSchema({"type": "string", "pattern": _LOCALE.pattern, "examples": ["tr-TR"]}),
]
Identifier = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")]
# No "-" in shop ids: the workflow id `cart-{shop}-{cart_id}` must name exactly one cart
# (shop "a-b" with cart "c" and shop "a" with cart "b-c" would share one).
ShopId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._]+$",
        description="Letters, digits, '.' and '_' (no '-': it separates shop and cart ids)",
    ),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the cart, as the shop sends it -------------------------------------------------


class Consent(_Frozen):
    """Channels the customer agreed to receive commercial messages on; missing means no."""

    email: bool = False
    sms: bool = False
    push: bool = False


class Customer(_Frozen):
    id: Identifier
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    first_name: Annotated[str, Field(max_length=100)] | None = None
    locale: Locale = "en"
    timezone: Annotated[str, Field(max_length=64)] | None = None
    # Firebase Cloud Messaging registration token of the customer's app install, for push.
    push_token: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    consent: Consent = Consent()

    @model_validator(mode="after")
    def reachable(self) -> Customer:
        if not (self.email or self.phone):
            raise ValueError("customer needs at least one way to be reached: email or phone")
        return self


class CartItem(_Frozen):
    sku: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Money
    image_url: WebUrl | None = None
    url: WebUrl | None = None


MAX_CART_ITEMS = 250


class CartSnapshot(_Frozen):
    """The whole cart at one moment; a newer `updated_at` replaces an older snapshot."""

    shop: ShopId
    updated_at: AwareDatetime
    currency: Currency
    total: Money
    checkout_url: WebUrl
    customer: Customer
    # Bounds the snapshot that every update signal carries and the workflow holds.
    items: Annotated[list[CartItem], Field(max_length=MAX_CART_ITEMS)] = []

    @property
    def is_empty(self) -> bool:
        return not self.items


# --- workflow input, signals and query ----------------------------------------------


def cart_workflow_id(shop: str, cart_id: str) -> str:
    """One workflow per cart, ever: the id the API starts and signals."""
    return f"cart-{shop}-{cart_id}"


class CartJourneyInput(_Frozen):
    shop: str
    cart_id: str


class OrderPlaced(_Frozen):
    order_id: str
    total: Money
    currency: Currency
    placed_at: AwareDatetime | None = None


class CartEmptied(_Frozen):
    emptied_at: AwareDatetime | None = None


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
    occurred_at: AwareDatetime | None = None
    channel: str | None = None  # the channel it happened on (an unsubscribe's channel)


class Cancellation(_Frozen):
    reason: str = "cancelled"


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
    EXPIRED = "expired"  # journey and conversion window over, no purchase
    EXITED = "exited"  # an exit step ended the journey
    UNSUBSCRIBED = "unsubscribed"  # the customer unsubscribed or complained
    UNREACHABLE = "unreachable"  # a hard bounce: the address does not exist
    CANCELLED = "cancelled"


class MessageStatus(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # not sent on purpose (no consent, no address); reason says why
    FAILED = "failed"  # the provider refused it for good
    UNCERTAIN = "uncertain"  # an earlier attempt died mid-send; never resent
    DEFERRED = "deferred"  # waiting for quiet hours or a frequency cap to allow it


class MessageState(_Frozen):
    message_id: str
    step: str
    channel: str
    template: str
    status: MessageStatus
    reason: str | None = None
    sent_at: AwareDatetime | None = None  # workflow time
    deferred_until: AwareDatetime | None = None
    opened: bool = False
    clicked: bool = False


class JourneyState(_Frozen):
    shop: str
    cart_id: str
    status: JourneyStatus
    journey: str | None = None
    version: int | None = None
    current_step: str | None = None
    cart_total: Money
    currency: Currency
    messages: list[MessageState] = []
    outcome: Outcome | None = None
    order_id: str | None = None
    revenue: Money | None = None


# --- activity input and output ------------------------------------------------------


class JourneyLookup(_Frozen):
    shop: str


class JourneyTrigger(_Frozen):
    """What the workflow needs before abandonment: which journey, how long is 'quiet'."""

    journey: str
    inactivity: timedelta


class OrderLookup(_Frozen):
    shop: str
    cart_id: str


class SendRequest(_Frozen):
    """Send one journey step's message for the cart as it is now."""

    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    journey: str
    version: int
    step: str  # path of the step in the journey, e.g. "steps[2].else[0]"
    message_id: str
    channels: list[str]  # in order of preference; the first reachable one is used
    template: str | None  # None for webhook steps
    target: str | None = None  # webhook steps: the configured target
    templates: dict[str, str]  # pinned template sources this message may use
    default_locale: str
    cart: CartSnapshot
    # Workflow time when the step came due: quiet hours and caps are judged against it.
    due_at: AwareDatetime | None = None
    quiet_hours: QuietHours | None = None
    when_capped: WhenCapped = WhenCapped.DEFER

    @model_validator(mode="before")
    @classmethod
    def _one_channel_before_preferences(cls, data: Any) -> Any:
        # Requests scheduled before channel preferences existed carry `channel`.
        if isinstance(data, dict) and "channel" in data and "channels" not in data:
            data = {**data, "channels": [data["channel"]]}
            del data["channel"]
        return data


class SendResult(_Frozen):
    status: MessageStatus
    reason: str | None = None
    channel: str | None = None  # the channel used (or tried last)
    retry_at: AwareDatetime | None = None  # DEFERRED: when to try again


class OutcomeRecord(_Frozen):
    workflow_id: str
    run_id: str
    shop: str
    cart_id: str
    customer_id: str
    journey: str | None
    version: int | None
    outcome: Outcome
    order_id: str | None = None
    revenue: Money | None = None
    currency: Currency
    messages_sent: int = 0
    ended_at: AwareDatetime


__all__ = [
    "Cancellation",
    "CartEmptied",
    "CartItem",
    "CartJourneyInput",
    "CartSnapshot",
    "Consent",
    "Customer",
    "Engagement",
    "EngagementKind",
    "JourneyLookup",
    "JourneyState",
    "JourneyStatus",
    "JourneyTrigger",
    "MessageState",
    "MessageStatus",
    "OrderLookup",
    "OrderPlaced",
    "Outcome",
    "OutcomeRecord",
    "SendRequest",
    "SendResult",
    "cart_workflow_id",
]
