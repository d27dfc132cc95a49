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
        raise ValueError(f"write a share such as 10%, not {value!r}")
    text = str(value).strip().replace(" ", "")
    if not re.fullmatch(PERCENT_PATTERN, text):
        raise ValueError(f"malformed share {value!r}: write a percentage such as 10% or 2.5%")
    basis_points = round(float(text.rstrip("%")) * 100)
    if not 0 < basis_points <= MAX_BASIS_POINTS:
        raise ValueError(f"a holdout of {value} is out of range: write between 0.01% and 50%")
    return basis_points


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
