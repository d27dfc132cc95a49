"""`make check-journeys`: every problem on its own line, and an exit code CI can use."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_schema.check import main
from tests.unit.journey_files import (
    REPO_JOURNEYS,
    SMS,
    message_files,
    templates_for,
    version,
    write_journey,
)

STAFF_TARGET = '{"staff": {"url": "https://hooks.slack.com/services/T0/B0/x", "format": "slack"}}'


def test_the_shipped_journeys_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # v2 alerts the staff: the deployment it is checked against configures that target
    monkeypatch.setenv("CARTNUDGE_WEBHOOK_TARGETS", STAFF_TARGET)

    assert main([str(REPO_JOURNEYS), "--default-journey", "abandoned_cart"]) == 0

    nudge = f"{REPO_JOURNEYS.as_posix()}/abandoned_cart/templates/nudge"
    assert capsys.readouterr().out.splitlines() == [
        f"{nudge}/en.sms: 1 segment (GSM-7, 132 characters)",
        f"{nudge}/tr.sms: 3 segments (UCS-2, 139 characters)",  # v2, as published
        f"{nudge}_short/en.sms: 1 segment (GSM-7, 132 characters)",
        f"{nudge}_short/tr.sms: 2 segments (UCS-2, 117 characters)",  # v4, with its short link
        f"{REPO_JOURNEYS}: 2 journeys, 7 versions, no problems",
    ]


def test_sms_are_measured_with_links_to_the_configured_public_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTNUDGE_WEBHOOK_TARGETS", STAFF_TARGET)
    # 12 characters longer than the stand-in https://shop.example.com
    monkeypatch.setenv("CARTNUDGE_PUBLIC_URL", "https://kampanya.kosu-dukkani.com.tr")

    assert main([str(REPO_JOURNEYS), "--default-journey", "abandoned_cart"]) == 0

    nudge = f"{REPO_JOURNEYS.as_posix()}/abandoned_cart/templates/nudge"
    assert capsys.readouterr().out.splitlines()[:4] == [
        f"{nudge}/en.sms: 1 segment (GSM-7, 144 characters)",
        f"{nudge}/tr.sms: 3 segments (UCS-2, 151 characters)",
        f"{nudge}_short/en.sms: 1 segment (GSM-7, 144 characters)",
        f"{nudge}_short/tr.sms: 2 segments (UCS-2, 129 characters)",
    ]


def test_problems_are_printed_one_per_line_and_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = version(trigger={"inactivity": "1x"}, steps=[{"send": {"template": "gone"}}])
    journey_dir = write_journey(tmp_path, versions={1: document})

    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 1

    captured = capsys.readouterr()
    file = (journey_dir / "v1.yaml").as_posix()
    assert captured.out.splitlines() == [
        f"{file}: trigger.inactivity: malformed duration '1x': write a number and a unit "
        "(s, m, h, d, w), e.g. 30m, 1h, 1h30m, 2d",
        f"{file}: steps[0]: template 'gone' does not exist; the templates are reminder",
    ]
    assert captured.err == f"2 problems in {tmp_path}\n"


def _sms_journey(tmp_path: Path) -> Path:
    steps = [
        {"send": {"template": "reminder", "id": "r1"}},
        {"send": {"channel": "sms", "template": "text"}},
    ]
    templates = {**templates_for("reminder"), **templates_for("text", channels=SMS)}
    return write_journey(tmp_path, versions={1: version(steps=steps)}, templates=templates)


def test_channels_can_be_declared_available(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sms_journey(tmp_path)

    assert main([str(tmp_path), "--default-journey", "shop_journey", "--channel", "email"]) == 1
    assert "channel 'sms' is not available yet" in capsys.readouterr().out
    arguments = [str(tmp_path), "--default-journey", "shop_journey"]
    assert main([*arguments, "--channel", "email", "--channel", "sms"]) == 0


def test_without_channel_options_the_settings_say_which_channels_have_a_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _sms_journey(tmp_path)
    monkeypatch.delenv("CARTNUDGE_SMS_PROVIDER", raising=False)

    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 1
    assert "channel 'sms' is not available yet" in capsys.readouterr().out

    for name, value in {
        "SMS_PROVIDER": "netgsm",
        "NETGSM_USERCODE": "8503000000",
        "NETGSM_PASSWORD": "secret",
        "NETGSM_HEADER": "SHOP",
    }.items():
        monkeypatch.setenv(f"CARTNUDGE_{name}", value)
    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 0


def test_every_sms_template_is_measured_and_a_long_one_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = version(steps=[{"send": {"channel": "sms", "template": "text"}}], sms_max_segments=2)
    templates = {
        **message_files("text", "en", channels=SMS, sms="Your cart is waiting."),
        # 161 + a newline + the 38 characters of the Turkish opt-out line
        **message_files("text", "tr", channels=SMS, sms="ş" * 161),
    }
    journey_dir = write_journey(tmp_path, versions={1: document}, templates=templates)

    arguments = [str(tmp_path), "--default-journey", "shop_journey", "--channel", "sms"]
    assert main(arguments) == 1

    text = (journey_dir / "templates" / "text").as_posix()
    file = (journey_dir / "v1.yaml").as_posix()
    assert capsys.readouterr().out.splitlines() == [
        f"{text}/en.sms: 1 segment (GSM-7, 44 characters)",
        f"{text}/tr.sms: 3 segments (UCS-2, 200 characters)",
        f"{file}: steps[0]: template text/tr.sms: 3 segments (UCS-2, 200 characters), "
        "opt-out line included; at most 2 (sms_max_segments)",
    ]
