"""Pydantic's validation errors, said the way a marketer reads their file.

('steps', 2, 'wait_for', 'wait_for', 'within')  ->  steps[2].wait_for.within

Each common error type gets its own sentence, in the words of the YAML file: a key is
missing or unknown (with the closest allowed key), a value is the wrong kind (text, a
number, a list, keys under a key), not one of the choices, or out of range. Pydantic's own
text ("Input should be a valid string") is the last resort.
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from journey_schema.errors import JourneyError
from journey_schema.models import STEP_KINDS
from journey_schema.suggestions import closest, did_you_mean

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
    "experiment": "experiment names use lowercase letters, digits and _, e.g. first_wait",
}
_ARM_NAME_HINT = "arm names start with a letter, then letters, digits or _, e.g. fast or control"
_WEIGHT_HINT = "a weight is the arm's share of customers in percent, a whole number from 1 to 100"
_NAME_PATTERN = r"[a-z][a-z0-9_]{0,63}"  # experiments (as journeys and templates)
_ARM_NAME = r"[A-Za-z][A-Za-z0-9_]{0,31}"
_NUMBER_ERRORS = frozenset(
    {"int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal"}
)

# What to write, for the keys a marketer most often leaves out or writes as one value.
_EXAMPLES = {
    "journey": "journey: abandoned_cart",
    "version": "version: 1",
    "trigger": "trigger: {inactivity: 1h}",
    "inactivity": "inactivity: 1h",
    "steps": "steps: [{send: {template: reminder}}]",
    "entry": 'entry: {when: "cart.total >= 50"}',
    "when": 'when: "cart.total >= 50"',
    "within": "within: 24h",
    "wait_for": "wait_for: {clicked: r1, within: 24h}",
    "send": "send: {channel: email, template: reminder}",
    "quiet_hours": 'quiet_hours: {from: "21:00", to: "09:00"}',
    "split": "split: {experiment: first_wait, arms: {fast: {weight: 50, steps: [...]}, "
    "slow: {weight: 50, steps: [...]}}}",
    "experiment": "experiment: first_wait",
    "arms": "arms: {fast: {weight: 50, steps: [{wait: 1h}]}, slow: {weight: 50, steps: "
    "[{wait: 12h}]}}",
    "weight": "weight: 50",
    "decide": "decide: {metric: conversion, min_carts: 200}",
    "metric": "metric: conversion",
    "from": 'from: "21:00"',
    "to": 'to: "09:00"',
}

_TIME_FIELDS = ("from", "to")


def format_path(loc: tuple[int | str, ...]) -> str | None:
    """A pydantic `loc` as a step/field path; None for the document itself.

    The steps of a split's arm read as walk.py names them: `steps[0].arms.fast[1]`, not
    `steps[0].split.arms.fast.steps[1]`.
    """
    parts: list[int | str] = []
    previous: int | str | None = None
    before_previous: int | str | None = None
    for part in loc:
        is_tag = isinstance(previous, int) and before_previous in _STEP_LISTS
        if not (is_tag and part in STEP_KINDS):  # the step union's tag, not a written key
            parts.append(part)
        before_previous, previous = previous, part
    text = ""
    index = 0
    while index < len(parts):
        part = parts[index]
        rest = parts[index + 1 : index + 5]
        if part == "split" and len(rest) == 4 and rest[0] == "arms" and rest[2] == "steps":
            if isinstance(rest[3], int):
                text += f".arms.{rest[1]}[{rest[3]}]"
                index += 5
                continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        index += 1
    return text or None


def pydantic_problems(
    file: Path, exc: ValidationError, *, model: type[BaseModel] | None = None
) -> list[JourneyError]:
    """One problem per error; `model` (the one validated) lets an unknown key be corrected."""
    return [_problem(file, error, model) for error in exc.errors()]


def _problem(file: Path, error: ErrorDetails, model: type[BaseModel] | None) -> JourneyError:
    loc = tuple(error["loc"])
    if error["type"] in ("extra_forbidden", "missing"):
        return JourneyError(file, format_path(loc[:-1]), _key_problem(error, loc, model))
    if loc[-1:] == ("[key]",):  # a mapping's key: the only one the schema names is an arm's
        return JourneyError(file, format_path(loc[:-2]), _arm_name_problem(error.get("input")))
    return JourneyError(file, format_path(loc), _value_problem(error, loc))


def plain_problem(error: ErrorDetails) -> str:
    """One pydantic error's problem, without its path (for callers that name it otherwise)."""
    loc = tuple(error["loc"])
    if error["type"] in ("extra_forbidden", "missing"):
        return _key_problem(error, loc, None)
    return _value_problem(error, loc)


def _key_problem(error: ErrorDetails, loc: tuple[int | str, ...], model: Any) -> str:
    key = loc[-1]
    if error["type"] == "missing":
        example = _EXAMPLES.get(str(key))
        return f"missing required key {key!r}" + (f", e.g. {example}" if example else "")
    allowed = _keys_at(model, loc[:-1]) if model is not None else None
    if not allowed:
        return f"unknown key {key!r}"
    match = closest(str(key), allowed)
    if match:
        return f"unknown key {key!r}; did you mean {match!r}?"
    return f"unknown key {key!r}: the keys here are {', '.join(allowed)}"


def _value_problem(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    last = loc[-1] if loc else None
    field = str(last) if isinstance(last, str) else None
    if kind == "unknown_step_kind":
        return _unknown_step(value)
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    split_problem = _split_problem(kind, loc, value, ctx)
    if split_problem:
        return split_problem
    if field in _TIME_FIELDS and kind in ("string_type", "string_pattern_mismatch"):
        return _time_problem(value, field)
    if kind == "string_pattern_mismatch" and field == "experiment" and isinstance(value, str):
        hint = _respelled(value, _NAME_PATTERN)
        return f"{value!r}: {_PATTERN_HINTS[field]}" + (f"; did you mean {hint!r}?" if hint else "")
    if kind == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return f"{value!r}: {_PATTERN_HINTS[field]}"
    if kind == "too_short" and last == "steps":
        return "a journey needs at least one step"
    if kind == "string_type":
        return f"write text here, not {_described(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"write a whole number, e.g. 3, not {_described(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"write true or false, not {_described(value)}"
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        return f"{_described(value)} is not one of {', '.join(choices)}{hint}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _limit_problem(kind, ctx, value)
    if kind == "string_too_short":
        return "this is empty: write something here" if not value else "this is too short"
    if kind == "string_too_long":
        return f"this is too long: at most {ctx.get('max_length')} characters"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        example = f", e.g. {_EXAMPLES[field]}" if field in _EXAMPLES else ""
        if value is None:
            return f"this is empty: write the keys that go under it{example}"
        return f"write keys with values here (key: value){example}; not {_described(value)}"
    if kind == "list_type":
        return f"write a list here, one item per line starting with `- `, not {_described(value)}"
    return f"{error['msg']}{_got(value)}"


def _split_problem(
    kind: str, loc: tuple[int | str, ...], value: Any, ctx: dict[str, Any]
) -> str | None:
    """A split's arms, weights and decide rule, in the words of an experiment."""
    last = loc[-1] if loc else None
    parent = loc[-2] if len(loc) > 1 else None
    if last == "weight" and kind in _NUMBER_ERRORS:
        return weight_problem(value)
    if last == "min_carts" and kind == "greater_than_equal":
        return (
            "min_carts is how many carts every arm needs before a winner is chosen: "
            f"write 1 or more, e.g. 200; not {_described(value)}"
        )
    if last == "arms" and kind == "too_short":
        count = ctx.get("actual_length", 0)
        return (
            f"an experiment needs at least two arms, the control first, e.g. "
            f"{_EXAMPLES['arms']}; this one has {count}"
        )
    if parent == "arms" and kind in ("model_type", "dict_type", "model_attributes_type"):
        return (
            f"write the arm as its weight and its steps, e.g. {last}: "
            f"{{weight: 50, steps: [{{wait: 1h}}]}}; not {_described(value)}"
        )
    return None


def weight_problem(value: Any) -> str:
    """Why an arm's weight is not one: the schema's and validation's sentence."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*%\s*", value):
        number = value.strip().rstrip("%").strip()
        return f"write {number}, without the % sign: {_WEIGHT_HINT}"
    return f"{_WEIGHT_HINT}, e.g. 50; not {_described(value)}"


def _arm_name_problem(name: Any) -> str:
    if isinstance(name, bool):
        return (
            f"arm name {str(name).lower()}: YAML reads yes, no, on and off as true or false; "
            "write the name in quotes, or choose another"
        )
    if not isinstance(name, str):
        return f"arm name {name!r}: {_ARM_NAME_HINT}"
    hint = _respelled(name, _ARM_NAME)
    return f"arm name {name!r}: {_ARM_NAME_HINT}" + (f"; did you mean {hint!r}?" if hint else "")


def _respelled(name: str, pattern: str) -> str | None:
    """`First Wait` -> `first_wait`: the name written the way the pattern allows, if it can be."""
    spelled = re.sub(r"[\s\-.]+", "_", name.strip())
    if pattern == _NAME_PATTERN:
        spelled = spelled.lower()
    return spelled if spelled != name and re.fullmatch(pattern, spelled) else None


def _limit_problem(kind: str, ctx: dict[str, Any], value: Any) -> str:
    if kind == "greater_than_equal":
        rule = f"must be {ctx['ge']} or more"
    elif kind == "greater_than":
        rule = f"must be more than {ctx['gt']}"
    elif kind == "less_than_equal":
        rule = f"must be {ctx['le']} or less"
    else:
        rule = f"must be less than {ctx['lt']}"
    return f"{rule}, not {value!r}"


def _time_problem(value: Any, field: str) -> str:
    """A time YAML read as a number (21.00 -> 21.0) or written without its leading zero."""
    written = _as_time(value)
    if written is not None:
        return f'write the time as "{written}" (in quotes, HH:MM)'
    if isinstance(value, str):
        return f"{value!r}: {_PATTERN_HINTS[field]}"
    return f"write a time of day in quotes, as HH:MM, e.g. {_EXAMPLES[field].split(' ')[1]}"


def _as_time(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        hours, minutes = str(value), "00"
    elif isinstance(value, float):
        hours, _, fraction = repr(value).partition(".")
        minutes = fraction.ljust(2, "0")  # 9.30 reaches us as 9.3
    elif isinstance(value, str) and (match := re.fullmatch(r"(\d{1,2})[.:h](\d{2})", value)):
        hours, minutes = match.groups()
    else:
        return None
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        return None
    return f"{int(hours):02d}:{minutes}"


def _keys_at(model: Any, loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys the mapping at `loc` may hold (aliases as written), None if not a mapping."""
    node: Any = model
    for part in loc:
        node = _unwrap(node)
        if isinstance(part, int):
            args = get_args(node) if get_origin(node) is list else ()
            node = args[0] if args else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]  # a mapping by name (a split's arms): its values
        elif isinstance(node, type) and issubclass(node, BaseModel):
            fields = node.model_fields
            found = next(
                (info for name, info in fields.items() if part in (name, info.alias)), None
            )
            node = found.annotation if found is not None else None
        else:
            node = _tagged(node, part)
        if node is None:
            return None
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [info.alias or name for name, info in node.model_fields.items()]
    return None


def _unwrap(node: Any) -> Any:
    """Strip Annotated[...] and `| None`, keeping a union of several members as it is."""
    while True:
        if get_origin(node) is Annotated:
            node = get_args(node)[0]
        elif get_origin(node) in (Union, types.UnionType):
            members = [arg for arg in get_args(node) if arg is not type(None)]
            if len(members) != 1:
                return node
            node = members[0]
        else:
            return node


def _tagged(node: Any, tag: int | str) -> Any:
    """The member of a discriminated union (the step kinds) that `tag` names."""
    if get_origin(node) not in (Union, types.UnionType):
        return None
    for member in get_args(node):
        if get_origin(member) is Annotated and any(
            isinstance(meta, Tag) and meta.tag == tag for meta in get_args(member)[1:]
        ):
            return member
    return None


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
        hint = did_you_mean(str(next(iter(value))), STEP_KINDS) if len(value) == 1 else ""
        if hint:
            return f"unknown step kind {others}{hint} A step is one of {kinds}"
        return f"unknown step kind {others}: a step is one of {kinds}"
    return f"{_described(value)} is not a step: a step is one of {kinds}"


def _described(value: Any) -> str:
    """A value as the marketer wrote it: the number 21.0, the text 'x', a list, ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "keys with values"
    return type(value).__name__


def _got(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return f" (you wrote {_described(value)})"
    return ""
