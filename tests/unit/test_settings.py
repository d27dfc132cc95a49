"""Production refuses the placeholder secrets that make the quick start work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import DEV_SECRET_KEY, Settings

STRONG_SECRET = "x" * 40


def test_local_runs_on_the_placeholders() -> None:
    assert Settings().secret_key.get_secret_value() == DEV_SECRET_KEY


@pytest.mark.parametrize(
    "overrides",
    [{}, {"secret_key": "too-short"}],
    ids=["placeholder", "too short"],
)
def test_production_refuses_placeholder_or_weak_secrets(overrides: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="CARTNUDGE_SECRET_KEY"):
        Settings(environment="production", **overrides)  # type: ignore[arg-type]


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(environment="production", secret_key=STRONG_SECRET)
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"sms_provider": "twilio", "twilio_account_sid": "AC1"}, "CARTNUDGE_TWILIO_AUTH_TOKEN"),
        ({"sms_provider": "netgsm"}, "CARTNUDGE_NETGSM_USERCODE"),
        ({"email_provider": "sendgrid"}, "CARTNUDGE_SENDGRID_API_KEY"),
        ({"email_provider": "postmark"}, "CARTNUDGE_POSTMARK_SERVER_TOKEN"),
        ({"webhook_targets": {"crm": {"url": "https://crm.example/hook"}}}, "'crm' needs a secret"),
    ],
)
def test_a_chosen_provider_without_its_credentials_is_refused_at_start(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**overrides)  # type: ignore[arg-type]


def test_webhook_targets_come_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CARTNUDGE_WEBHOOK_TARGETS",
        '{"staff": {"url": "https://hooks.slack.com/services/T/B/x", "format": "slack"}}',
    )
    assert Settings().webhook_targets["staff"].format == "slack"
