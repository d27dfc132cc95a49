"""Where a cart's journey stands, as `GET /v1/carts/{cart_id}/journey` answers it.

The workflow's `state` query answers a workflows.payloads.JourneyProgress; the intake maps
it onto this read model, so the answer shops rely on and the workflow's payload change
apart. The status words are the workflow's own (the same enums).
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.fields import Currency, Money
from workflows.payloads import Channel, JourneyStatus, MessageStatus, Outcome


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MessageState(_Frozen):
    message_id: str
    step: str
    channel: Channel
    template: str
    status: MessageStatus
    reason: str | None = None
    sent_at: AwareDatetime | None = None
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
    held_out: bool = Field(
        default=False,
        description="In the journey's holdout: never messaged, watched for a purchase.",
    )
    arms: dict[str, str] = Field(
        default={}, description="Experiment -> the arm the cart took at its split."
    )
    coupon_code: str | None = Field(
        default=None, description="The coupon of cartnudge's that the cart's order redeemed."
    )
    discount: Money | None = Field(
        default=None, description="What that coupon took off the order, in its currency."
    )
