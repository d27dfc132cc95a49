"""Durations as marketers write them: 90s, 30m, 1h, 1h30m, 2d, 1w."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
DURATION_PATTERN = r"^(\d+[smhdw])+$"


def parse_duration(text: str) -> timedelta:
    """Parse '1h30m' into a timedelta; raise ValueError naming the problem."""
    cleaned = text.strip().replace(" ", "")
    if not re.fullmatch(DURATION_PATTERN, cleaned):
        raise ValueError(
            f"malformed duration {text!r}: write a number and a unit (s, m, h, d, w), "
            "e.g. 30m, 1h, 1h30m, 2d"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest marketer-style spelling: timedelta(hours=25) -> '1d1h'."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"duration {value!r} needs a unit, e.g. {value}m or {value}h")
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(f"duration must be text such as 30m or 1h, not {type(value).__name__}")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A number and a unit (s, m, h, d, w), e.g. 30m, 1h, 1h30m, 2d",
            "examples": ["30m", "1h", "24h", "3d"],
        }
    ),
]
