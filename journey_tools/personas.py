"""Personas: simulated customers, each a cart (or two) and what the customer does with it.

A persona is data; the simulator (journey_tools/simulate.py) plays it through the real
journey workflow. The built-in ones cover the roads a journey must handle; more are
written as YAML files (keys in journeys/README.md, "Simulate"):

    name: clicks-late
    description: Clicks the first message a day after it arrives.
    customer: {timezone: Europe/Istanbul, locale: tr-TR, consent: {email: true, sms: true}}
    carts: [{}, {after: 22h}]          # a second cart, abandoned 22h after the first
    actions:
      - {do: click, message: 1, after: 1d}
      - {do: consent, before: 30m, email: false, sms: true}

Times are anchored to a message reaching the customer (`message:` with `after:`), or to
the first cart's abandonment (`at:` after it, `before:` before it).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from journey_schema.durations import Duration
from journey_schema.schema_errors import pydantic_problems
from journey_schema.yaml_source import YamlProblem, load_yaml


class PersonaError(ValueError):
    """A persona file that can not be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionKind(StrEnum):
    OPEN = "open"  # opens an email (the open pixel): emails only
    CLICK = "click"  # clicks a link in the message
    BUY = "buy"  # places the order for the cart
    UNSUBSCRIBE = "unsubscribe"  # the email's unsubscribe link, or STOP to an SMS
    CONSENT = "consent"  # the shop states new consent for the customer


class ConsentSpec(_Strict):
    email: bool = True
    sms: bool = False
    push: bool = False


class CustomerSpec(_Strict):
    first_name: Annotated[str, Field(min_length=1, max_length=100)] | None = "Ayşe"
    locale: Annotated[str, Field(pattern=r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")] = "en"
    timezone: str | None = None  # None: the shop's (CARTNUDGE_SHOP_TIMEZONE)
    email: bool = True  # has an email address
    phone: bool = True  # has a phone number
    push: bool = False  # has the shop's app (a push token)
    consent: ConsentSpec = ConsentSpec()  # as the cart states it

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown timezone {value!r} (use an IANA name such as Europe/Istanbul)"
                ) from None
        return value

    @model_validator(mode="after")
    def reachable(self) -> Self:
        if not (self.email or self.phone):
            raise ValueError("a customer needs an email address or a phone number")
        return self


class CartSpec(_Strict):
    # Abandoned this long after the persona's first cart; the first cart has none.
    after: Duration | None = None
    total: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("1434.90")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "TRY"

    @field_validator("total", mode="before")
    @classmethod
    def exact_money(cls, value: object) -> object:
        # YAML reads 1434.90 as the float 1434.9: in cents, as a shop would send it
        if isinstance(value, float | int) and not isinstance(value, bool):
            return Decimal(str(value)).quantize(Decimal("0.01"))
        return value


class Action(_Strict):
    do: ActionKind
    # Anchored to the Nth message that reaches the customer (1 = the first; for `open`
    # the Nth email), or to every one of them...
    message: Annotated[int, Field(ge=1)] | Literal["every"] | None = None
    after: Duration | None = None  # ...this long after it arrives (at once without it)
    # ...or to the first cart's abandonment.
    at: Duration | None = None
    before: Duration | None = None
    cart: Annotated[int, Field(ge=1)] | None = None  # `buy` without `message`: which cart
    # `consent`: the channels stated; the others stay as last stated.
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None

    @model_validator(mode="after")
    def one_anchor(self) -> Self:
        anchors = [key for key in ("message", "at", "before") if getattr(self, key) is not None]
        if len(anchors) != 1:
            raise ValueError(
                "an action needs exactly one of `message` (with `after`), `at` or `before`"
                + (f"; it has {', '.join(anchors)}" if anchors else "")
            )
        if self.after is not None and self.message is None:
            raise ValueError("`after` counts from a message: give `message` too")
        if self.message == "every" and self.do in (ActionKind.BUY, ActionKind.UNSUBSCRIBE):
            raise ValueError(f"`{self.do}` happens once: give a message number, not every")
        if self.message is not None and self.do == ActionKind.CONSENT:
            raise ValueError("`consent` is stated by the shop: use `at` or `before`")
        stated = [key for key in ("email", "sms", "push") if getattr(self, key) is not None]
        if self.do == ActionKind.CONSENT and not stated:
            raise ValueError("`consent` needs at least one of email, sms, push (true or false)")
        if self.do != ActionKind.CONSENT and stated:
            raise ValueError(f"{', '.join(stated)}: only a `consent` action states channels")
        if self.cart is not None and (self.do != ActionKind.BUY or self.message is not None):
            raise ValueError("`cart` chooses the cart a `buy` without `message` buys")
        if self.do in (ActionKind.OPEN, ActionKind.CLICK, ActionKind.UNSUBSCRIBE) and (
            self.message is None
        ):
            raise ValueError(f"`{self.do}` is done to a message: give `message`")
        return self

    def offset(self) -> timedelta:
        """For an action anchored to the abandonment: when, relative to it."""
        if self.at is not None:
            return self.at
        return -(self.before or timedelta(0))


class Persona(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
    description: Annotated[str, Field(min_length=1, max_length=200)]
    customer: CustomerSpec = CustomerSpec()
    carts: Annotated[list[CartSpec], Field(min_length=1, max_length=5)] = [CartSpec()]
    actions: list[Action] = []

    @model_validator(mode="after")
    def carts_in_order(self) -> Self:
        if self.carts[0].after is not None:
            raise ValueError("carts[0] is the first cart: it has no `after`")
        for index, cart in enumerate(self.carts[1:], start=1):
            if cart.after is None:
                raise ValueError(f"carts[{index}] needs `after`: how long after the first")
        for index, action in enumerate(self.actions):
            if action.cart is not None and action.cart > len(self.carts):
                raise ValueError(
                    f"actions[{index}].cart: there is no cart {action.cart}"
                    f" (the persona has {len(self.carts)})"
                )
        return self


def _persona(data: dict[str, object]) -> Persona:
    return Persona.model_validate(data)


# The built-in personas, in the order timelines are printed.
BUILT_IN: tuple[Persona, ...] = (
    _persona({"name": "ignores", "description": "ignores every message"}),
    _persona(
        {
            "name": "opens",
            "description": "opens every email 10 minutes after it arrives, never clicks",
            "actions": [{"do": "open", "message": "every", "after": "10m"}],
        }
    ),
    _persona(
        {
            "name": "clicks",
            "description": "clicks the first message 2 hours after it arrives",
            "actions": [{"do": "click", "message": 1, "after": "2h"}],
        }
    ),
    _persona(
        {
            "name": "buys",
            "description": "buys 30 minutes after the first message",
            "actions": [{"do": "buy", "message": 1, "after": "30m"}],
        }
    ),
    _persona(
        {
            "name": "sms-only",
            "description": "withdrew email consent and gave SMS consent before the first message",
            "actions": [{"do": "consent", "before": "30m", "email": False, "sms": True}],
        }
    ),
    _persona(
        {
            # The simulation abandons carts at 10:00 UTC: 03:00 in Phoenix (UTC-7, no DST).
            "name": "night",
            "description": "lives in America/Phoenix, where the first message falls at 03:00",
            "customer": {"timezone": "America/Phoenix"},
        }
    ),
    _persona(
        {
            "name": "unsubscribes",
            "description": "unsubscribes 1 minute after the first message arrives",
            "actions": [{"do": "unsubscribe", "message": 1, "after": "1m"}],
        }
    ),
    _persona(
        {
            "name": "second-cart",
            # Chosen so that no two messages are due at one instant in the shipped journeys:
            # they would race for one cap slot (see journeys/README.md, "Simulate").
            "description": "abandons a second cart the next evening (caps across carts)",
            "carts": [{}, {"after": "1d10h"}],
        }
    ),
)

BUILT_IN_NAMES = tuple(persona.name for persona in BUILT_IN)


def built_in(name: str) -> Persona:
    for persona in BUILT_IN:
        if persona.name == name:
            return persona
    raise PersonaError(
        f"no built-in persona {name!r} (built in: {', '.join(BUILT_IN_NAMES)});"
        " a persona file ends in .yaml"
    )


def load_persona(path: Path) -> Persona:
    """The persona in a YAML file; raises PersonaError naming the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PersonaError(f"{path.as_posix()}: can not read it: {err.strerror}") from None
    try:
        data = load_yaml(text)
    except YamlProblem as err:
        raise PersonaError(f"{path.as_posix()}: {err}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path.as_posix()}: a persona is a mapping of keys (name, ...)")
    try:
        return Persona.model_validate(data)
    except ValidationError as err:
        problems = "\n".join(str(problem) for problem in pydantic_problems(path, err))
        raise PersonaError(problems) from None


def persona_from_argument(argument: str) -> Persona:
    """`--persona`: a built-in name, or a path to a YAML file."""
    if argument.endswith((".yaml", ".yml")) or "/" in argument:
        return load_persona(Path(argument))
    return built_in(argument)
