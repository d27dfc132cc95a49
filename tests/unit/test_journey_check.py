"""`make check-journeys`: every problem on its own line, and an exit code CI can use."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_schema.check import main
from tests.unit.journey_files import REPO_JOURNEYS, version, write_journey


def test_the_shipped_journeys_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(REPO_JOURNEYS), "--default-journey", "abandoned_cart"]) == 0

    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "2 journeys, 2 versions, no problems (active: abandoned_cart v1, demo v1)" in out


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
        f"{file}: steps[0]: template 'gone' does not exist",
        f"{file}: v1 is refused; no version of it is served",
    ]
    assert captured.err == f"3 problems in {tmp_path}\n"


def test_channels_can_be_declared_available(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = [
        {"send": {"template": "reminder", "id": "r1"}},
        {"send": {"channel": "sms", "template": "reminder"}},
    ]
    write_journey(tmp_path, versions={1: version(steps=steps)})

    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 1
    assert "channel 'sms' is not available yet" in capsys.readouterr().out
    assert (
        main(
            [
                str(tmp_path),
                "--default-journey",
                "shop_journey",
                "--channel",
                "email",
                "--channel",
                "sms",
            ]
        )
        == 0
    )
