"""Production refuses the placeholder secrets that make the quick start work."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from data_at_rest.cipher import new_key
from settings import DEV_DATA_AT_REST_KEY, DEV_SECRET_KEY, Settings

STRONG_SECRET = "x" * 40
REAL_KEYS = [{"id": "k1", "key": new_key()}]


def test_local_runs_on_the_placeholders() -> None:
    assert Settings().secret_key.get_secret_value() == DEV_SECRET_KEY


@pytest.mark.parametrize(
    "overrides",
    [{}, {"secret_key": "too-short"}],
    ids=["placeholder", "too short"],
)
def test_production_refuses_placeholder_or_weak_secrets(overrides: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="CARTNUDGE_SECRET_KEY"):
        Settings(
            environment="production",
            data_at_rest_keys=REAL_KEYS,
            payload_keys=REAL_KEYS,
            **overrides,  # type: ignore[arg-type]
        )


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(
        environment="production",
        secret_key=STRONG_SECRET,
        data_at_rest_keys=REAL_KEYS,
        payload_keys=REAL_KEYS,
    )
    assert settings.environment == "production"


@pytest.mark.parametrize(
    "keys",
    [None, [{"id": "k2", "key": new_key()}, {"id": "dev", "key": DEV_DATA_AT_REST_KEY}]],
    ids=["not set", "the dev key among them"],
)
def test_production_without_a_data_key_is_refused_naming_the_setting_and_how_to_make_one(
    keys: list[dict[str, str]] | None,
) -> None:
    given: dict[str, object] = {"payload_keys": REAL_KEYS}
    if keys is not None:
        given["data_at_rest_keys"] = keys
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", secret_key=STRONG_SECRET, **given)  # type: ignore[arg-type]

    said = str(refused.value)
    assert "CARTNUDGE_DATA_AT_REST_KEYS must be set in production" in said
    assert "cartnudge secrets new-key" in said and "os.urandom(32)" in said


def test_local_runs_on_the_documented_dev_data_key() -> None:
    [key] = Settings().data_at_rest_keys
    assert (key.id, key.key.get_secret_value()) == ("dev", DEV_DATA_AT_REST_KEY)


def test_data_keys_come_from_one_json_variable_the_first_one_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = [{"id": "k2", "key": new_key()}, {"id": "k1", "key": new_key()}]
    monkeypatch.setenv("CARTNUDGE_DATA_AT_REST_KEYS", json.dumps(keys))
    assert [key.id for key in Settings().data_at_rest_keys] == ["k2", "k1"]


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ([], "lists no key"),
        ([{"id": "k1", "key": base64.b64encode(b"short").decode()}], "it must be 32"),
        ([{"id": "k1", "key": "not base64!"}], "not base64"),
        ([{"id": "k1", "key": new_key()}, {"id": "k1", "key": new_key()}], "'k1' twice"),
        ([{"id": "k:1", "key": new_key()}], "pattern"),
    ],
)
def test_a_data_key_that_can_not_work_is_refused_at_start(
    keys: list[dict[str, str]], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(data_at_rest_keys=keys)


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
