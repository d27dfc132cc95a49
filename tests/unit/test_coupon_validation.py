"""Offers in journey files: what a marketer gets told, naming the file, the step and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.journey_files import load, message_files, problems_of, templates_for, write_journey

OFFER_TXT = "Code {{ coupon.code }}, {{ coupon.value }} off until {{ coupon.expires_at }}\n" + (
    "Unsubscribe: {{ unsubscribe_url }}"
)
GUARDED_TXT = "{% if coupon %}Code {{ coupon.code }}\n{% endif %}{{ total }}\n" + (
    "Unsubscribe: {{ unsubscribe_url }}"
)


def problems(
    tmp_path: Path, send: dict[str, Any], txt: str = OFFER_TXT
) -> list[tuple[str | None, str]]:
    templates = templates_for("reminder") | message_files("last_chance", txt=txt)
    document = {
        "journey": "shop_journey",
        "version": 1,
        "trigger": {"inactivity": "1h"},
        "steps": [{"send": {"template": "reminder", "id": "r1"}}, {"wait": "1d"}, {"send": send}],
    }
    write_journey(tmp_path, versions={1: document}, templates=templates)
    return [
        (step, problem)
        for file, step, problem in problems_of(load(tmp_path))
        if file == "v1.yaml" and not problem.startswith("v1 is refused")
    ]


def test_an_offer_with_a_template_that_shows_it_is_valid(tmp_path: Path) -> None:
    percent = {"template": "last_chance", "coupon": {"percent": 10, "valid": "48h"}}
    amount = {"template": "last_chance", "coupon": {"amount": "50.00", "valid": "3d"}}

    assert problems(tmp_path / "a", percent) == []
    assert problems(tmp_path / "b", amount) == []


def test_a_template_using_coupon_in_a_step_without_an_offer_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, {"template": "last_chance"}) == [
        (
            "steps[2]",
            "template last_chance/en.txt uses `coupon`, but this step offers none, so there is "
            "never a code to show: add e.g. `coupon: {percent: 10, valid: 48h}` to the send "
            "step, or take coupon out of the template",
        )
    ]


def test_send_without_needs_a_template_that_reads_well_without_a_code(tmp_path: Path) -> None:
    send = {
        "template": "last_chance",
        "coupon": {"percent": 10, "valid": "48h"},
        "on_coupon_failure": "send_without",
    }

    [(step, problem)] = problems(tmp_path / "a", send)
    assert problems(tmp_path / "b", send, txt=GUARDED_TXT) == []

    assert step == "steps[2]"
    assert problem.startswith("template ")
    assert "rendered without a coupon: with on_coupon_failure: send_without" in problem
    assert "{% if coupon %}" in problem


def test_a_webhook_with_an_offer_is_refused(tmp_path: Path) -> None:
    send = {"channel": "webhook", "target": "staff", "coupon": {"percent": 10, "valid": "1d"}}

    assert (
        "steps[2].send",
        "a webhook step can not carry a coupon: codes go to customers, in an email, SMS or "
        "push message",
    ) in problems(tmp_path, send)


def test_misspelt_and_wrong_offer_keys_are_named_with_the_fix(tmp_path: Path) -> None:
    found = problems(
        tmp_path / "a", {"template": "last_chance", "cupon": {"percent": 10, "valid": "48h"}}
    )
    assert ("steps[2].send", "unknown key 'cupon'; did you mean 'coupon'?") in found

    found = problems(
        tmp_path / "b", {"template": "last_chance", "coupon": {"percnt": 10, "valid": "48h"}}
    )
    assert ("steps[2].send.coupon", "unknown key 'percnt'; did you mean 'percent'?") in found

    both = {"percent": 10, "amount": "5.00", "valid": "48h"}
    found = problems(tmp_path / "c", {"template": "last_chance", "coupon": both})
    assert (
        "steps[2].send.coupon",
        "a coupon is a percentage or an amount off, not both and not neither: write e.g. "
        '{percent: 10, valid: 48h} or {amount: "50.00", valid: 3d}',
    ) in found

    found = problems(
        tmp_path / "d", {"template": "last_chance", "coupon": {"percent": 150, "valid": "48h"}}
    )
    assert ("steps[2].send.coupon.percent", "must be 100 or less, not 150") in found

    found = problems(
        tmp_path / "e", {"template": "last_chance", "coupon": {"percent": 10, "valid": "2 days"}}
    )
    assert any(step == "steps[2].send.coupon.valid" for step, _ in found)

    found = problems(
        tmp_path / "f",
        {
            "template": "last_chance",
            "coupon": {"percent": 10, "valid": "48h"},
            "on_coupon_failure": "send_withot",
        },
    )
    assert (
        "steps[2].send.on_coupon_failure",
        "'send_withot' is not one of skip, send_without; did you mean 'send_without'?",
    ) in found


def test_on_coupon_failure_without_an_offer_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {"template": "last_chance", "on_coupon_failure": "skip"},
        txt=GUARDED_TXT,
    )

    assert (
        "steps[2].send",
        "on_coupon_failure says what to do when no coupon can be made, but this step offers "
        "none: add e.g. `coupon: {percent: 10, valid: 48h}`, or take on_coupon_failure out",
    ) in found


def test_a_percent_is_a_whole_number_and_a_code_lasts_at_most_a_year(tmp_path: Path) -> None:
    for n, percent in enumerate(["10", "10%", 10.5]):
        offer = {"percent": percent, "valid": "48h"}
        found = problems(tmp_path / f"p{n}", {"template": "last_chance", "coupon": offer})
        assert [step for step, _ in found] == ["steps[2].send.coupon.percent"], found

    year_and_more = {"template": "last_chance", "coupon": {"percent": 10, "valid": "400d"}}
    [(step, problem)] = problems(tmp_path / "v", year_and_more)
    assert step == "steps[2].send.coupon.valid"
    assert "at most 365d" in problem
