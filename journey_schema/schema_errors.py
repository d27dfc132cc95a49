"""Pydantic's validation errors, said the way a marketer reads their file.

('steps', 2, 'wait_for', 'wait_for', 'within')  ->  steps[2].wait_for.within
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from journey_schema.errors import JourneyError
from journey_schema.models import STEP_KINDS

_STEP_LISTS = ("steps", "then", "else")

_PATTERN_HINTS = {
    "template": "template names use lowercase letters, digits and _, e.g. still_thinking",
    "journey": "journey names use lowercase letters, digits and _, e.g. abandoned_cart",
    "id": "message ids start with a letter, then letters, digits, _ or -, e.g. r1",
    "opened": "message ids start with a letter, then letters, digits, _ or -, e.g. r1",
    "clicked": "message ids start with a letter, then letters, digits, _ or -, e.g. r1",
    "target": "webhook target names use lowercase letters, digits and _, e.g. staff",
    "from": "write a time of day as HH:MM, 24-hour clock, e.g. 21:00",
    "to": "write a time of day as HH:MM, 24-hour clock, e.g. 09:00",
}


def format_path(loc: tuple[int | str, ...]) -> str | None:
    """A pydantic `loc` as a step/field path; None for the document itself."""
    text = ""
    previous: int | str | None = None
    before_previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(previous, int) and before_previous in _STEP_LISTS and part in STEP_KINDS:
            pass  # the step union's tag, not a key the marketer wrote
        else:
            text += f".{part}" if text else str(part)
        before_previous, previous = previous, part
    return text or None


def pydantic_problems(file: Path, exc: ValidationError) -> list[JourneyError]:
    return [_problem(file, error) for error in exc.errors()]


def _problem(file: Path, error: ErrorDetails) -> JourneyError:
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    last = loc[-1] if loc else None
    if kind == "extra_forbidden":
        return JourneyError(file, format_path(loc[:-1]), f"unknown key {last!r}")
    if kind == "missing":
        return JourneyError(file, format_path(loc[:-1]), f"missing required key {last!r}")
    if kind == "unknown_step_kind":
        return JourneyError(file, format_path(loc), _unknown_step(value))
    if kind == "value_error":
        message = error["msg"].removeprefix("Value error, ")
        return JourneyError(file, format_path(loc), message)
    if kind == "string_pattern_mismatch" and isinstance(last, str) and last in _PATTERN_HINTS:
        return JourneyError(file, format_path(loc), f"{value!r}: {_PATTERN_HINTS[last]}")
    if kind == "too_short" and last == "steps":
        return JourneyError(file, format_path(loc), "a journey needs at least one step")
    return JourneyError(file, format_path(loc), f"{error['msg']}{_got(value)}")


def _unknown_step(value: Any) -> str:
    kinds = ", ".join(STEP_KINDS)
    if isinstance(value, dict):
        found = [key for key in value if key in STEP_KINDS]
        if len(found) > 1:
            return (
                f"a step has exactly one kind, this one has {', '.join(found)}: "
                "write them as separate steps"
            )
        others = ", ".join(repr(key) for key in value) or "nothing"
        return f"unknown step kind {others}: a step is one of {kinds}"
    return f"{value!r} is not a step: a step is one of {kinds}"


def _got(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return f" (got {value!r})"
    return ""
