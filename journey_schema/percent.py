"""Shares as marketers write them: 10%, 2.5% (or a bare 10), kept as basis points."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

PERCENT_PATTERN = r"^\d{1,2}(\.\d{1,2})?%?$"
MAX_BASIS_POINTS = 5_000  # more than half held out would leave too little to measure


def parse_percent(value: Any) -> int:
    """'10%' -> 1000 basis points; raise ValueError naming the problem."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"write a share such as 10% or 2.5%, not {_written(value)}")
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"0?\.\d+", text):
        # 0.1 is one in ten written as a fraction, or a tenth of a percent: ask which
        raise ValueError(
            f"{value} reads as {value}%: write 10% for one customer in ten, or {value}% if "
            "you mean that few"
        )
    # Read loosely first, so 100% is said to be too large rather than malformed.
    if not re.fullmatch(r"\d+(\.\d{1,2})?%?", text):
        raise ValueError(f"malformed share {value!r}: write a share such as 10% or 2.5%")
    basis_points = round(float(text.rstrip("%")) * 100)
    if basis_points <= 0:
        raise ValueError(
            f"a holdout of {format_percent(basis_points)} holds nobody out: write a share "
            "such as 10%, or leave `holdout` out"
        )
    if basis_points > MAX_BASIS_POINTS:
        raise ValueError(
            f"a holdout of {format_percent(basis_points)} is too large: write a share "
            "such as 10%, at most 50% (more would leave too few customers to message)"
        )
    return basis_points


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if value is None:
        return "nothing"
    return "a list" if isinstance(value, list) else "keys with values"


def format_percent(basis_points: int) -> str:
    """1000 -> '10%', 250 -> '2.5%'."""
    return f"{basis_points / 100:g}%"


Percent = Annotated[
    int,
    BeforeValidator(parse_percent),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": PERCENT_PATTERN,
            "description": "A percentage, e.g. 10% or 2.5%",
            "examples": ["10%", "5%"],
        }
    ),
]
