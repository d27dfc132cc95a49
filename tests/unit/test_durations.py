"""Durations as marketers write them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from journey_schema.durations import format_duration, parse_duration
from journey_schema.models import WaitStep


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        (" 24h ", timedelta(hours=24)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1x", "malformed duration '1x'"),
        ("h", "malformed duration 'h'"),
        ("1.5h", "malformed duration '1.5h'"),
        ("", "malformed duration ''"),
        ("0m", "duration '0m' must be longer than zero"),
    ],
)
def test_malformed_durations_say_how_to_write_one(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=25), "1d1h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(weeks=1, seconds=5), "1w5s"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_format_in_the_shortest_spelling(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    if value:
        assert parse_duration(text) == value


def test_a_number_without_a_unit_is_refused_in_a_journey() -> None:
    with pytest.raises(ValidationError, match="duration 5 needs a unit, e.g. 5m or 5h"):
        WaitStep.model_validate({"wait": 5})


def test_durations_serialise_back_to_marketer_text() -> None:
    assert WaitStep.model_validate({"wait": "36h"}).model_dump() == {"wait": "1d12h"}
