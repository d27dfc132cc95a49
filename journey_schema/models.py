"""The journey schema: what a marketer may write in `journeys/<name>/v<N>.yaml`.

The same models travel into the workflow as its pinned, typed journey (pydantic data
converter), so the interpreter never sees raw YAML.

A step is a mapping with exactly one kind key:

    - wait: 1h
    - send: {channel: email, template: reminder, id: r1}
    - send: {channel: [sms, email], template: nudge, id: r2}   # first reachable channel
    - send: {channel: webhook, target: staff}                  # POST the cart to a target
    - send: {template: last_chance, coupon: {percent: 10, valid: 48h}}   # a unique code
    - wait_for: {clicked: r1, within: 24h}
      then: [...]
      else: [...]
    - branch: "cart.total >= 500"
      then: [...]
      else: [...]
    - exit: "bought elsewhere"      # or just `- exit`
    - split:                        # an experiment: each customer sticks to one arm
        experiment: first_wait
        decide: {metric: conversion, min_carts: 500}
        arms:
          fast: {weight: 50, steps: [{wait: 1h}]}
          slow: {weight: 50, steps: [{wait: 12h}]}

A journey may hold a share of its customers out (`holdout: 10%`): their carts are
tracked through the same clock and never messaged, the baseline every lift is measured
against (experiments/, reports/).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from journey_schema.durations import Duration
from journey_schema.percent import Percent
from rendering.live import DEFAULT_LOW_STOCK_BELOW
from workflows.payloads import Channel, WhenCapped

MessageId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
TemplateName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Expression = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description=(
            "A condition over cart and customer, e.g. `cart.total >= 50 and "
            'customer.language == "tr"`. See journeys/README.md for the names.'
        ),
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_CHANNEL_VALUES = frozenset(channel.value for channel in Channel)

TargetName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
_CHANNEL_NAMES = ", ".join(channel.value for channel in Channel)


class OnCouponFailure(StrEnum):
    """What a step with an offer does when no code can be made for the customer."""

    SKIP = "skip"  # the message is not sent (the default: it was written around the code)
    SEND_WITHOUT = "send_without"  # it goes without the code: its template reads well so


COUPON_EXAMPLE = "coupon: {percent: 10, valid: 48h}"
MAX_COUPON_VALIDITY = timedelta(days=365)


class CouponOffer(_Strict):
    """A unique, single-use code for this customer and step, made by the shop's platform (or
    taken from its pool) right before the message goes out, e.g. {percent: 10, valid: 48h}
    or {amount: "50.00", valid: 3d}."""

    percent: Annotated[int, Field(ge=1, le=100, strict=True)] | None = Field(
        default=None,
        description="Percent off the whole cart, a whole number from 1 to 100 (no % sign).",
        examples=[10],
    )
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] | None = Field(
        default=None,
        description='Money off the whole cart, in the shop\'s currency, e.g. "50.00" (a cart '
        "in another currency gets no code: offer percent in a shop selling in several).",
        examples=["50.00"],
    )
    valid: Duration = Field(
        description="How long the code works after the message goes out, e.g. 48h or 3d "
        "(at most 365d)."
    )

    @field_validator("valid")
    @classmethod
    def _at_most_a_year(cls, valid: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= valid <= MAX_COUPON_VALIDITY:
            raise ValueError("a coupon is valid for at least 1m and at most 365d, e.g. 48h")
        return valid

    @model_validator(mode="after")
    def percent_or_amount(self) -> CouponOffer:
        if (self.percent is None) == (self.amount is None):
            raise ValueError(
                "a coupon is a percentage or an amount off, not both and not neither: write "
                'e.g. {percent: 10, valid: 48h} or {amount: "50.00", valid: 3d}'
            )
        return self


def send_spec_problem(
    channels: list[Channel],
    template: object,
    target: object,
    *,
    coupon: object = None,
    on_coupon_failure: object = None,
) -> str | None:
    """What is wrong with a send step's channel, template, target and offer together, if
    anything.

    One rule for the model and for validation's walk over the raw YAML, which reports it
    even when the schema has other errors in the same step.
    """
    if Channel.WEBHOOK in channels:
        if len(channels) > 1:
            return "a webhook can not be part of a channel preference list"
        if not target:
            return "a webhook step needs `target: <name>`"
        if template:
            return "a webhook step posts the cart as JSON: it takes no template"
        if coupon is not None:
            return (
                "a webhook step can not carry a coupon: codes go to customers, in an email, "
                "SMS or push message"
            )
    else:
        if not template:
            return "a send step needs `template: <folder>`"
        if target:
            return "only webhook steps take a `target`"
    if len(set(channels)) != len(channels):
        return "a channel is listed twice in the preference list"
    if on_coupon_failure is not None and coupon is None:
        return (
            "on_coupon_failure says what to do when no coupon can be made, but this step "
            f"offers none: add e.g. `{COUPON_EXAMPLE}`, or take on_coupon_failure out"
        )
    return None


def left_out_at_default(data: Any, defaults: dict[str, object]) -> Any:
    """A model written out without the keys added since v0.1.0 that hold their default: a
    file that does not use them keeps its release id, and the release pinned in a cart's
    history reads the same to a worker that predates them (a rolling upgrade)."""
    if isinstance(data, dict):
        for name, default in defaults.items():
            if name in data and data[name] == default:
                del data[name]
    return data


class SendSpec(_Strict):
    """One message. `channel` is one channel or an ordered preference, e.g. [sms, email]:
    the first one the customer can be reached on (address, consent, not suppressed) is used.
    """

    channel: Channel | Annotated[list[Channel], Field(min_length=1)] = Field(
        default=Channel.EMAIL,
        description="email, sms, push or webhook; or a preference list such as [sms, email].",
    )
    template: TemplateName | None = Field(
        default=None, description="Template folder; every channel but webhook needs one."
    )
    target: TargetName | None = Field(
        default=None,
        description="Webhook steps: the configured target (CARTNUDGE_WEBHOOK_TARGETS) to POST to.",
    )
    id: MessageId | None = Field(
        default=None, description="Names the message so a later wait_for can refer to it."
    )
    coupon: CouponOffer | None = Field(
        default=None,
        description="A unique, single-use code for the customer, e.g. {percent: 10, valid: "
        "48h}; templates show it as coupon.code, coupon.value and coupon.expires_at.",
    )
    on_coupon_failure: OnCouponFailure | None = Field(
        default=None,
        description="When no code can be made: skip (default) does not send the message; "
        "send_without sends it without the code.",
    )

    @property
    def channels(self) -> list[Channel]:
        """The channels to try, in order of preference."""
        return list(self.channel) if isinstance(self.channel, list) else [self.channel]

    @property
    def coupon_failure(self) -> OnCouponFailure:
        """What happens when the offer's code can not be made (skip unless the step says)."""
        return self.on_coupon_failure or OnCouponFailure.SKIP

    @property
    def label(self) -> str:
        """What the message is, for summaries: its template, or its webhook target."""
        return self.template or f"webhook {self.target}"

    @field_validator("channel", mode="before")
    @classmethod
    def _known_channels(cls, value: Any) -> Any:
        # One readable error instead of pydantic's two, one per member of the union.
        if isinstance(value, list) and not value:
            raise ValueError("the channel list is empty: name at least one, e.g. [sms, email]")
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or item not in _CHANNEL_VALUES:
                raise ValueError(
                    f"unknown channel {item!r}: a channel is one of {_CHANNEL_NAMES}, "
                    "or a preference list such as [sms, email]"
                )
        return value

    @model_validator(mode="after")
    def template_or_target(self) -> SendSpec:
        problem = send_spec_problem(
            self.channels,
            self.template,
            self.target,
            coupon=self.coupon,
            on_coupon_failure=self.on_coupon_failure,
        )
        if problem:
            raise ValueError(problem)
        return self

    @model_serializer(mode="wrap")
    def _offer_only_when_made(self, handler: SerializerFunctionWrapHandler) -> Any:
        return left_out_at_default(handler(self), {"coupon": None, "on_coupon_failure": None})


class WaitForSpec(_Strict):
    opened: MessageId | None = None
    clicked: MessageId | None = None
    within: Duration

    @model_validator(mode="after")
    def exactly_one_event(self) -> WaitForSpec:
        if (self.opened is None) == (self.clicked is None):
            raise ValueError("wait_for needs exactly one of `opened: <id>` or `clicked: <id>`")
        return self

    @property
    def message_id(self) -> str:
        return self.opened or self.clicked or ""

    @property
    def event(self) -> Literal["opened", "clicked"]:
        return "opened" if self.opened else "clicked"


class WaitStep(_Strict):
    wait: Duration


class SendStep(_Strict):
    send: SendSpec


class WaitForStep(_Strict):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    wait_for: WaitForSpec
    then: list[Step] = []
    else_: list[Step] = Field(default=[], alias="else")


class BranchStep(_Strict):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    branch: Expression
    then: list[Step] = []
    else_: list[Step] = Field(default=[], alias="else")


class ExitStep(_Strict):
    exit: str | None = Field(default=None, description="Why the journey ends here.")


ExperimentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ArmName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")]


class Assign(StrEnum):
    """What sticks to an arm: the customer (every cart of theirs), or each cart alone."""

    CUSTOMER = "customer"
    CART = "cart"


class Metric(StrEnum):
    """What an experiment is decided on. conversion: the share of carts with an order within
    the attribution window; revenue_per_cart: those orders' revenue divided by all carts."""

    CONVERSION = "conversion"
    REVENUE_PER_CART = "revenue_per_cart"


class DecideRule(_Strict):
    """Let cartnudge pick the winner by itself, e.g. {metric: conversion, min_carts: 500}.

    Once every arm has at least `min_carts` carts, the best arm's always-valid 95% interval
    leaves out "no difference" and the sample-ratio check passes, the winner is recorded
    and new carts reaching the split take it (experiments/decisions.py).
    """

    metric: Metric = Field(
        description="conversion (orders per cart) or revenue_per_cart; opens never decide."
    )
    min_carts: Annotated[int, Field(ge=1)] = Field(
        default=100,
        description="Carts every arm needs before a winner may be chosen (default 100).",
        examples=[500],
    )


class Arm(_Strict):
    """One arm of a split: its share and its own steps, e.g. {weight: 50, steps: [{wait: 1h}]}."""

    weight: Annotated[int, Field(ge=1, le=100)] = Field(
        description="This arm's share of the customers in percent, a whole number from 1 to "
        "100 (no % sign); the arms of a split add up to 100.",
        examples=[50],
    )
    steps: list[Step] = Field(
        default=[],
        description="What customers in this arm get, then the journey goes on after the "
        "split; an empty list sends nothing here.",
    )


def weights_problem(experiment: object, weights: dict[str, int]) -> str | None:
    """Why a split's weights do not make 100%, if they do not.

    One sentence for the model and for validation's walk over the raw YAML, which says it
    even when something else in the split is wrong.
    """
    total = sum(weights.values())
    if total == 100:
        return None
    name = experiment if isinstance(experiment, str) else "this split"
    each = ", ".join(f"{arm} {weight}" for arm, weight in weights.items())
    return f"the arms of {name} add up to {total}% ({each}); make them add up to 100"


class SplitSpec(_Strict):
    """An experiment: each customer (or cart) gets one arm, by the weights, and keeps it."""

    experiment: ExperimentName = Field(
        description="Names the experiment in reports and commands: lowercase letters, "
        "digits and _, unique in the journey.",
        examples=["first_wait", "subject_line"],
    )
    arms: Annotated[dict[ArmName, Arm], Field(min_length=2)] = Field(
        description="Two or more arms by name (a mapping, not a list), each a weight and "
        "its own steps. The first arm is the control: a stopped experiment sends everyone "
        "there.",
        examples=[
            {
                "fast": {"weight": 50, "steps": [{"wait": "1h"}]},
                "slow": {"weight": 50, "steps": [{"wait": "12h"}]},
            }
        ],
    )
    assign: Assign = Field(
        default=Assign.CUSTOMER,
        description="customer (default): the same person gets the same arm on every cart; "
        "cart: each cart is assigned on its own.",
    )
    decide: DecideRule | None = Field(
        default=None, description="Let cartnudge choose the winner once the numbers are clear."
    )

    @model_validator(mode="after")
    def weights_add_up(self) -> SplitSpec:
        problem = weights_problem(self.experiment, {n: arm.weight for n, arm in self.arms.items()})
        if problem:
            raise ValueError(problem)
        return self

    @property
    def control(self) -> str:
        """The first arm, as written."""
        return next(iter(self.arms))

    def weights_bp(self) -> list[tuple[str, int]]:
        """The arms in file order with their weights in basis points (releases.assignment)."""
        return [(name, arm.weight * 100) for name, arm in self.arms.items()]


class SplitStep(_Strict):
    """A/B test: `split: {experiment: NAME, arms: {...}}`; see journeys/README.md."""

    split: SplitSpec


STEP_KINDS = ("wait", "send", "wait_for", "branch", "exit", "split")


def step_kind(value: Any) -> str | None:
    """The one kind key a step mapping holds (or a step model's kind)."""
    if isinstance(value, str):
        return value if value == "exit" else None
    if isinstance(value, BaseModel):
        value = value.model_fields_set | set(type(value).model_fields)
    elif not isinstance(value, dict):
        return None  # `- 5`: not a step; the schema says so instead of crashing
    keys = [kind for kind in STEP_KINDS if kind in value]
    return keys[0] if len(keys) == 1 else None


def _exit_shorthand(value: Any) -> Any:
    return {"exit": None} if value == "exit" else value


Step = Annotated[
    Annotated[WaitStep, Tag("wait")]
    | Annotated[SendStep, Tag("send")]
    | Annotated[WaitForStep, Tag("wait_for")]
    | Annotated[BranchStep, Tag("branch")]
    | Annotated[ExitStep, Tag("exit")]
    | Annotated[SplitStep, Tag("split")],
    Discriminator(
        step_kind,
        custom_error_type="unknown_step_kind",
        custom_error_message=(
            "a step must have exactly one of the keys: wait, send, wait_for, branch, split, exit"
        ),
    ),
]


class Trigger(_Strict):
    inactivity: Duration = Field(
        description="The cart counts as abandoned after this long untouched."
    )


class Entry(_Strict):
    when: Expression


LocalTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHours(_Strict):
    """No customer message between `from` and `to`, local time (customer's, else the shop's).

    A message due inside the window waits for its end; it is deferred, never dropped.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: LocalTime = Field(alias="from", examples=["21:00"])
    to: LocalTime = Field(examples=["09:00"])

    @model_validator(mode="after")
    def not_empty(self) -> QuietHours:
        if self.from_ == self.to:
            raise ValueError("quiet hours `from` and `to` are equal: the window would be empty")
        return self


class OnSuppression(StrEnum):
    """What the journey does after an unsubscribe, complaint or hard bounce."""

    END = "end"  # the journey ends
    CONTINUE = "continue"  # later steps skip the suppressed channel and use the next preference


class JourneyVersion(_Strict):
    """One immutable version of a journey, as written in `journeys/<name>/v<N>.yaml`."""

    journey: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    version: Annotated[int, Field(ge=1)]
    description: str | None = None
    trigger: Trigger
    entry: Entry | None = None
    locale: str = Field(
        default="en",
        description="Template language used when the customer's locale has none.",
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="Local hours in which no customer message goes out."
    )
    when_capped: WhenCapped = Field(
        default=WhenCapped.DEFER,
        description="A message over the customer's frequency cap waits (defer) or is skipped.",
    )
    on_suppression: OnSuppression = Field(
        default=OnSuppression.END,
        description="After an unsubscribe, complaint or hard bounce: end, or continue on "
        "the channels still allowed.",
    )
    conversion_window: Duration = Field(
        default=timedelta(days=3),
        description="After the last step, a purchase within this long still counts as recovered.",
    )
    holdout: Percent | None = Field(
        default=None,
        description="A share of customers, e.g. 10% (at most 50%), tracked through the "
        "journey's clock but never messaged: the baseline that shows what the journey adds.",
    )
    low_stock_below: Annotated[int, Field(ge=1)] = Field(
        default=DEFAULT_LOW_STOCK_BELOW,
        description="An item is low stock (`item.low_stock` in templates) when the shop's "
        "catalog counts fewer than this many in stock at send time.",
        examples=[3],
    )
    sms_max_segments: Annotated[int, Field(ge=1, le=10)] = Field(
        default=3,
        description="The most SMS segments a text message may take, opt-out line included "
        "(160 GSM-7 or 70 UCS-2 characters fit in one; Turkish text is usually UCS-2).",
    )
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _expand_exit_shorthand(cls, data: Any) -> Any:
        return _expand(data)

    @model_serializer(mode="wrap")
    def _settings_only_when_set(self, handler: SerializerFunctionWrapHandler) -> Any:
        return left_out_at_default(handler(self), {"low_stock_below": DEFAULT_LOW_STOCK_BELOW})


def _expand(data: Any) -> Any:
    """Turn every bare `- exit` into `{exit: null}` so the union can discriminate it."""
    if isinstance(data, dict):
        out = dict(data)
        for key in ("steps", "then", "else"):
            if isinstance(out.get(key), list):
                out[key] = [_expand(_exit_shorthand(step)) for step in out[key]]
        split = out.get("split")
        if isinstance(split, dict) and isinstance(split.get("arms"), dict):
            arms = {name: _expand(arm) for name, arm in split["arms"].items()}
            out["split"] = {**split, "arms": arms}
        return out
    return data


class PinnedRelease(_Strict):
    """What a cart keeps from abandonment on: its release's id and the steps to interpret.

    The templates stay out of the workflow's history: the send activity renders from the
    release, which it reads by this id (journey_schema/release.py).
    """

    release_id: str
    definition: JourneyVersion


WaitForStep.model_rebuild()
BranchStep.model_rebuild()
Arm.model_rebuild()
SplitSpec.model_rebuild()
SplitStep.model_rebuild()
JourneyVersion.model_rebuild()
