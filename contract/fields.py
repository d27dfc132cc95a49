"""Field types of the public contract: money, currency, locale, URLs, ids; each says its rule.

The documented schemas say what the validators check, so clients (and the property run
over the OpenAPI spec) know the rules before a 422 tells them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema


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
