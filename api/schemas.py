"""What the HTTP layer adds to the public contract (contract/): errors, health, checks.

The bodies shops send and the answers they read are in contract/; this module holds what
only the HTTP side knows of.
"""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from contract.carts import CartSnapshot


def check_timezone(snapshot: CartSnapshot) -> None:
    """Refuse a customer timezone the IANA database does not know, naming the field."""
    name = snapshot.customer.timezone
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not even a valid key
        raise RequestValidationError(
            [
                {
                    "type": "timezone",
                    "loc": ("body", "customer", "timezone"),
                    "msg": f"unknown timezone {name!r}: use an IANA name such as Europe/Istanbul",
                }
            ]
        ) from None


class FieldError(BaseModel):
    field: str = Field(examples=["customer.email", "items[0].unit_price"])
    problem: str


class ErrorBody(BaseModel):
    """Every error the API answers: what went wrong and, for bad input, each bad field."""

    detail: str
    errors: list[FieldError] = []


class HealthStatus(StrEnum):
    OK = "ok"  # the API can take events
    UNAVAILABLE = "unavailable"  # a dependency is down: intake answers 503 meanwhile


class DependencyStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"


class Health(BaseModel):
    """Whether the API can take events, and each dependency it needs for that."""

    status: HealthStatus
    database: DependencyStatus
    temporal: DependencyStatus
