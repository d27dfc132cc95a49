"""Shop platforms' webhook payloads read as our carts and orders; pure functions, no HTTP, no DB.

Each platform module turns a parsed payload into one of:

    PlatformCart   a cart id and its snapshot, for intake.carts.take_cart
    OrderIn        an order, for intake.orders.take_order
    Ignored        a payload we acknowledge and do nothing with (the reason says why)

or raises MappingError, naming each bad field by its path in the platform's payload
(`line_items[0].price`), not in ours. WebhookAnswer is what the platform routes answer.

An order's line items and discount codes are kept where they can be read and left out
(logged) where not: refusing the webhook for a line would lose the order itself, and with
it the end of the cart's journey; the lines only feed recommendations and reports.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from contract.carts import CartSnapshot
from contract.fields import Identifier
from contract.orders import MAX_DISCOUNT_CODES, DiscountCode, code_key

Loc = tuple[str | int, ...]
_Model = TypeVar("_Model", bound=BaseModel)

log = logging.getLogger("cartnudge.api")


class MappingError(ValueError):
    """The payload can not be read as a cart or an order; `errors` name each field."""

    def __init__(self, errors: Sequence[tuple[Loc, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{_dotted(loc)}: {problem}" for loc, problem in errors))

    def request_errors(self) -> list[dict[str, Any]]:
        """The errors as FastAPI's RequestValidationError takes them (answered with a 422)."""
        return [
            {"type": "platform_payload", "loc": ("body", *loc), "msg": problem}
            for loc, problem in self.errors
        ]


@dataclass(frozen=True)
class ShopDefaults:
    """What the shop's settings say where a payload is silent."""

    shop: str
    locale: str
    currency: str
    timezone: str


@dataclass(frozen=True)
class PlatformCart:
    cart_id: str
    snapshot: CartSnapshot


@dataclass(frozen=True)
class Ignored:
    """Acknowledged and left alone: nothing in it for a journey."""

    reason: str


class WebhookAnswer(BaseModel):
    """What a platform webhook answers (200): what became of the event."""

    status: str = Field(
        description="accepted, stale, purchased, cooldown or emptied for a cart; accepted or"
        " duplicate for an order (duplicate too for a redelivered Shopify webhook); ignored"
        " (see reason); ping for WooCommerce's test call",
        examples=["accepted"],
    )
    workflow_id: str | None = Field(default=None, description="The cart's workflow in Temporal")
    reason: str | None = Field(default=None, description="Why an ignored event was ignored")


def parse_json(body: bytes) -> Any:
    """The body as JSON: integers stay exact however large, fractions become Decimal."""
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError as err:  # UnicodeDecodeError is one
        raise MappingError([(("body",), f"malformed JSON: {err}")]) from None


def get(payload: Any, *path: str | int) -> Any:
    """The value at `path`, or None where any step is missing or of another shape."""
    value = payload
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
        elif not isinstance(value, dict):
            return None
        value = value[step] if isinstance(step, int) else value.get(step)
    return value


def text(value: Any) -> str | None:
    """A string or an integer id as text; None for anything else and for ''."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)  # exact: ids beyond 2**53 stay whole
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def money(value: Any) -> Any:
    """A price as Decimal when it is a number or a decimal string; else as it came."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    return value  # a string pydantic reads, or a bad value pydantic names


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_FORMATTING = re.compile(r"[\s().\-]")


def e164(value: Any) -> str | None:
    """The phone number when it is E.164 once spaces, dashes and brackets are gone."""
    if not isinstance(value, str):
        return None
    number = _PHONE_FORMATTING.sub("", value)
    return number if _E164.match(number) else None


_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


def locale(value: Any, default: str) -> str:
    """The customer's locale as we accept it (`es-419` becomes `es`), else the default."""
    if not isinstance(value, str):
        return default
    if _LOCALE.match(value):
        return value
    language = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    return language if _LOCALE.match(language) else default


_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def identifier(value: str, loc: Loc) -> str:
    """The value as one of our ids (cart and order ids name workflows), or MappingError."""
    try:
        return _IDENTIFIER.validate_python(value)
    except ValidationError as err:
        raise MappingError([(loc, str(e["msg"])) for e in err.errors()]) from None


class Sources:
    """Where each of our fields came from in the platform's payload, to name it on error."""

    def __init__(self) -> None:
        self._paths: dict[Loc, Loc] = {}

    def note(self, ours: Loc, theirs: Loc) -> None:
        self._paths[ours] = theirs

    def theirs(self, ours: Loc) -> Loc:
        """The payload path of our field: its longest noted prefix, then the rest as is."""
        for cut in range(len(ours), -1, -1):
            found = self._paths.get(ours[:cut])
            if found is not None:
                return found + ours[cut:]
        return ours

    def build(self, model: type[_Model], values: Mapping[str, Any]) -> _Model:
        """The model from the values; its validation errors named by payload path."""
        try:
            return model.model_validate(values)
        except ValidationError as err:
            raise MappingError(
                [(self.theirs(tuple(e["loc"])), str(e["msg"])) for e in err.errors()]
            ) from None


def readable(model: type[_Model], values: Iterable[tuple[Loc, Any]], *, limit: int) -> list[_Model]:
    """Each (payload path, values) that reads as the model, the first `limit` of them; the
    others are left out and logged by path (see the module docstring: an order's lines)."""
    kept: list[_Model] = []
    for loc, value in values:
        try:
            found = model.model_validate(value)
        except ValidationError as err:
            problems = "; ".join(str(e["msg"]) for e in err.errors())
            log.warning("left out %s of the platform's order: %s", _dotted(loc), problems)
            continue
        if len(kept) == limit:
            log.warning("left out %s and after: more than %d in one order", _dotted(loc), limit)
            break
        kept.append(found)
    return kept


def discount_codes(codes: Iterable[tuple[Loc, Any]]) -> list[DiscountCode]:
    """The order's readable discount codes, each once (the first of a code in two cases)."""
    kept: dict[str, DiscountCode] = {}
    for code in readable(DiscountCode, codes, limit=MAX_DISCOUNT_CODES):
        kept.setdefault(code_key(code.code), code)
    return list(kept.values())


def listed(value: Any) -> list[Any]:
    """The value when it is a list, else none (a platform's optional list)."""
    return value if isinstance(value, list) else []


def _dotted(loc: Loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "body"
