"""Production refuses the placeholder secrets that make the quick start work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import DEV_API_KEY, Settings

STRONG_SECRET = "x" * 40


def test_local_runs_on_the_placeholders() -> None:
    assert Settings().api_key.get_secret_value() == DEV_API_KEY


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": STRONG_SECRET}, "CARTNUDGE_API_KEY"),
        ({"api_key": "a-real-key"}, "CARTNUDGE_SECRET_KEY"),
        ({"api_key": "a-real-key", "secret_key": "too-short"}, "CARTNUDGE_SECRET_KEY"),
    ],
)
def test_production_refuses_placeholder_or_weak_secrets(
    overrides: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(environment="production", **overrides)  # type: ignore[arg-type]


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(environment="production", api_key="a-real-key", secret_key=STRONG_SECRET)
    assert settings.environment == "production"
