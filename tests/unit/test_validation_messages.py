"""What a new marketer tripped over: each message names the file, the step and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journey_schema.check import main
from journey_schema.validation import validate_version
from tests.unit.journey_files import (
    load,
    problems_of,
    templates_for,
    version,
    write_journey,
)
from workflows.payloads import Channel

HEADER = "journey: shop_journey\nversion: 1\ntrigger: {inactivity: 1h}\n"
SEND_REMINDER = "steps:\n  - send: {template: reminder, id: r1}\n"
SHARED = "_items.html, _items.txt, _layout.html, _unsubscribe.txt"


def problems_for(
    tmp_path: Path, document: dict[str, Any] | str, templates: dict[str, str] | None = None
) -> list[tuple[str | None, str]]:
    """(step, problem) for v1.yaml, leaving out the 'refused' summary line."""
    write_journey(tmp_path, versions={1: document}, templates=templates)
    return [
        (step, problem)
        for file, step, problem in problems_of(load(tmp_path))
        if file == "v1.yaml" and not problem.startswith("v1 is refused")
    ]


def with_template(part: str, source: str) -> dict[str, str]:
    """The reminder template (en) with one part replaced, and the shipped shared files."""
    templates = templates_for("reminder")
    templates.update(
        {"_items.html": "", "_items.txt": "", "_unsubscribe.txt": "{{ unsubscribe_url }}"}
    )
    templates[f"reminder/en.{part}"] = source
    return templates


# --- 1. unknown variables --------------------------------------------------------------


def test_a_misspelt_attribute_names_the_variable_and_the_closest_key(tmp_path: Path) -> None:
    templates = with_template("txt", "Hi\n{{ customer.frist_name }}\n{{ unsubscribe_url }}")

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/en.txt line 2: unknown variable 'customer.frist_name'; "
            "did you mean 'customer.first_name'? customer has id, first_name, locale, language",
        )
    ]


def test_a_misspelt_attribute_of_a_loop_item_is_found_in_every_branch(tmp_path: Path) -> None:
    source = (
        "{% for item in items %}\n{% if item.image_url %}\n{{ item.nme }}\n{% endif %}\n"
        "{% endfor %}\n{{ unsubscribe_url }}"
    )

    assert problems_for(tmp_path, version(), with_template("txt", source)) == [
        (
            "steps[0]",
            "template reminder/en.txt line 3: unknown variable 'item.nme'; did you mean "
            "'item.name'? item has sku, name, quantity, unit_price, line_total, image_url, url",
        )
    ]


def test_a_key_used_without_its_owner_is_said_in_full(tmp_path: Path) -> None:
    templates = with_template("subject", "Hi {{ frist_name }}")

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/en.subject line 1: unknown variable 'frist_name'; "
            "did you mean 'customer.first_name'?",
        )
    ]


# --- 2. syntax errors at the line of the mistake -----------------------------------------


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "Hi\n{% if customer.first_name %}\n{{ customer.first_name }},\nyour cart is "
            "waiting.\n{{ unsubscribe_url }}\n",
            "template reminder/en.txt line 2: syntax error: `{% if %}` is opened here and "
            "never closed: add `{% endif %}` where the if should end",
        ),
        (
            "Your cart: {{ total }\n{{ checkout_url }}\n{{ unsubscribe_url }}\n",
            "template reminder/en.txt line 1: syntax error: a `{{` is closed with a single "
            "`}`: write `}}`",
        ),
        (
            "{% if customer.first_name %}Hi {{ customer.first_name }}\n{% else if true %}Hi"
            "\n{% endif %}\n{{ unsubscribe_url }}\n",
            "template reminder/en.txt line 2: syntax error: `{% else if %}` is written "
            "`{% elif ... %}` in a template",
        ),
        (
            "{% for item in items %}\n{% if item.url %}\n{{ item.url }}\n{% endfor %}\n",
            "template reminder/en.txt line 4: syntax error: `{% endfor %}` does not match the "
            "`{% if %}` opened at line 2: close that one first with `{% endif %}`",
        ),
    ],
)
def test_a_syntax_error_points_at_the_real_mistake(
    tmp_path: Path, source: str, problem: str
) -> None:
    assert problems_for(tmp_path, version(), with_template("txt", source)) == [
        ("steps[0]", problem)
    ]


# --- 3. includes --------------------------------------------------------------------------


def test_an_include_typo_names_the_file_the_closest_and_the_shared_files(
    tmp_path: Path,
) -> None:
    templates = with_template("html", '{% include "_layot.html" %}\n{{ total }}')

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            'template reminder/en.html line 1: the file "_layot.html" does not exist; '
            f'did you mean "_layout.html"? The shared files are {SHARED}',
        )
    ]


# --- 4. the schema in the marketer's words ------------------------------------------------


def test_a_time_yaml_read_as_a_number_is_asked_for_in_quotes(tmp_path: Path) -> None:
    text = HEADER + "quiet_hours: {from: 21.00, to: 09:00}\n" + SEND_REMINDER

    assert problems_for(tmp_path, text) == [
        ("quiet_hours.from", 'write the time as "21:00" (in quotes, HH:MM)')
    ]


@pytest.mark.parametrize(
    ("line", "step", "problem"),
    [
        (
            "quiet_hours: {from: 9.30, to: 7}",
            "quiet_hours.from",
            'write the time as "09:30" (in quotes, HH:MM)',
        ),
        (
            "quiet_hours: {from: '21:00', to: '9:00'}",
            "quiet_hours.to",
            'write the time as "09:00" (in quotes, HH:MM)',
        ),
        (
            "quiet_hours: {to: '09:00'}",
            "quiet_hours",
            "missing required key 'from', e.g. from: \"21:00\"",
        ),
        ("when_capped: later", "when_capped", "'later' is not one of defer, skip"),
        (
            "on_suppression: contine",
            "on_suppression",
            "'contine' is not one of end, continue; did you mean 'continue'?",
        ),
        ("sms_max_segments: 11", "sms_max_segments", "must be 10 or less, not 11"),
        ("sms_max_segments: 0", "sms_max_segments", "must be 1 or more, not 0"),
        (
            "sms_max_segments: three",
            "sms_max_segments",
            "write a whole number, e.g. 3, not 'three'",
        ),
        ("locale: 5", "locale", "write text here, not the number 5"),
        (
            "entry: cart.total > 5",
            "entry",
            'write keys with values here (key: value), e.g. entry: {when: "cart.total >= 50"}; '
            "not 'cart.total > 5'",
        ),
    ],
)
def test_schema_errors_speak_the_marketers_language(
    tmp_path: Path, line: str, step: str, problem: str
) -> None:
    # "to: 7" above is the second problem of its line; only the first is asserted there
    problems = problems_for(tmp_path, HEADER + line + "\n" + SEND_REMINDER)

    assert problems[0] == (step, problem)


def test_keys_written_as_one_value_steps_as_a_mapping_and_a_missing_duration(
    tmp_path: Path,
) -> None:
    text = "journey: shop_journey\nversion: 1\ntrigger:\n" + SEND_REMINDER
    assert problems_for(tmp_path / "empty", text) == [
        (
            "trigger",
            "this is empty: write the keys that go under it, e.g. trigger: {inactivity: 1h}",
        )
    ]

    text = HEADER + "steps:\n  wait: 1h\n"
    assert problems_for(tmp_path, text) == [
        ("steps", "write a list here, one item per line starting with `- `, not keys with values")
    ]

    text = HEADER + SEND_REMINDER + "  - wait_for: {clicked: r1}\n  - 5\n"
    assert problems_for(tmp_path / "again", text) == [
        ("steps[1].wait_for", "missing required key 'within', e.g. within: 24h"),
        (
            "steps[2]",
            "the number 5 is not a step: a step is one of wait, send, wait_for, branch, exit, "
            "split",
        ),
    ]


# --- 5, 6. conditions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("cart.total => 50", "`=>` is not an operator: did you mean `>=`? (cart.total >= 50)"),
        ("cart.total = 50", "`=` is not an operator: did you mean `==`? (cart.total == 50)"),
        (
            "cart.total >= 2.000,00",
            "'2.000,00' is not a number as cartnudge reads them: write 2000.00 (a point for "
            "decimals, no thousands separator)",
        ),
        (
            "cart.total >= 49,90",
            "'49,90' is not a number as cartnudge reads them: write 49.90 (a point for "
            "decimals, no thousands separator)",
        ),
        (
            # valid Python, but 1.5: a Turkish or German marketer means fifteen hundred
            "cart.total >= 1.500",
            "'1.500' is not a number as cartnudge reads them: write 1500 (a point for "
            "decimals, no thousands separator), or 1.5 if you mean decimals",
        ),
    ],
)
def test_conditions_written_as_elsewhere_get_the_fix(
    tmp_path: Path, condition: str, problem: str
) -> None:
    document = version(entry={"when": condition})

    assert problems_for(tmp_path, document) == [
        ("entry.when", f"condition {condition!r}: {problem}")
    ]


def test_a_money_value_written_with_separators_in_a_template(tmp_path: Path) -> None:
    source = '{{ 2.000,00 | money("TRY", locale) }} off\n{{ unsubscribe_url }}'

    assert problems_for(tmp_path, version(), with_template("txt", source)) == [
        (
            "steps[0]",
            "template reminder/en.txt line 1: '2.000,00' is not a number as cartnudge reads "
            "them: write 2000.00 (a point for decimals, no thousands separator)",
        )
    ]


# --- 7. unknown keys ----------------------------------------------------------------------


def test_unknown_keys_anywhere_get_the_closest_allowed_key(tmp_path: Path) -> None:
    text = (
        "journey: shop_journey\nversion: 1\ntrigerr: {inactivity: 1h}\n"
        "quiet_hour: {from: '21:00', to: '09:00'}\n"
        "steps:\n  - send: {template: reminder, chanel: email, id: r1}\n"
        "  - wait_for: {clicked: r1, withn: 1d}\n    thn: []\n"
    )

    assert problems_for(tmp_path, text) == [
        (None, "missing required key 'trigger', e.g. trigger: {inactivity: 1h}"),
        ("steps[0].send", "unknown key 'chanel'; did you mean 'channel'?"),
        ("steps[1].wait_for", "missing required key 'within', e.g. within: 24h"),
        ("steps[1].wait_for", "unknown key 'withn'; did you mean 'within'?"),
        ("steps[1]", "unknown key 'thn'; did you mean 'then'?"),
        (None, "unknown key 'trigerr'; did you mean 'trigger'?"),
        (None, "unknown key 'quiet_hour'; did you mean 'quiet_hours'?"),
    ]


def test_an_unknown_step_kind_gets_the_closest_kind(tmp_path: Path) -> None:
    document = version(steps=[{"sned": {"template": "reminder"}}])

    assert problems_for(tmp_path, document) == [
        (
            "steps[0]",
            "unknown step kind 'sned'; did you mean 'send'? A step is one of wait, send, "
            "wait_for, branch, exit, split",
        )
    ]


# --- 8. templates that do not exist -------------------------------------------------------


def test_a_missing_template_lists_the_templates_and_the_closest(tmp_path: Path) -> None:
    templates = templates_for("reminder", "still_thinking", "last_chance")
    document = version(steps=[{"send": {"template": "stil_thinking"}}])

    assert problems_for(tmp_path, document, templates) == [
        (
            "steps[0]",
            "template 'stil_thinking' does not exist; did you mean 'still_thinking'? "
            "The templates are last_chance, reminder, still_thinking",
        )
    ]


# --- 9. webhook targets -------------------------------------------------------------------

WEBHOOK_STEPS = [
    {"send": {"template": "reminder", "id": "r1"}},
    {"branch": "cart.total >= 5000", "then": [{"send": {"channel": "webhook", "target": "staf"}}]},
]


def validate(tmp_path: Path, targets: frozenset[str] | None) -> list[tuple[str | None, str]]:
    journey_dir = write_journey(tmp_path, versions={1: version(steps=WEBHOOK_STEPS)})
    checked = validate_version(
        journey_dir / "v1.yaml",
        journey="shop_journey",
        version=1,
        templates=templates_for("reminder"),
        channels=frozenset({Channel.EMAIL, Channel.WEBHOOK}),
        webhook_targets=targets,
    )
    return [(problem.step, problem.problem) for problem in checked.problems]


def test_a_webhook_target_that_is_not_configured_is_refused_at_validation(
    tmp_path: Path,
) -> None:
    assert validate(tmp_path, frozenset({"staff", "crm"})) == [
        (
            "steps[1].then[0].send.target",
            "webhook target 'staf' is not configured; did you mean 'staff'? The configured "
            "targets are crm, staff (CARTNUDGE_WEBHOOK_TARGETS)",
        )
    ]
    assert validate(tmp_path / "none", frozenset()) == [
        (
            "steps[1].then[0].send.target",
            "webhook target 'staf' is not configured: CARTNUDGE_WEBHOOK_TARGETS names no targets",
        )
    ]


def test_without_the_configured_targets_a_target_is_not_checked(tmp_path: Path) -> None:
    assert validate(tmp_path, None) == []


def test_the_check_refuses_a_target_the_settings_do_not_configure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_dir = write_journey(tmp_path, versions={1: version(steps=WEBHOOK_STEPS)})
    monkeypatch.setenv(
        "CARTNUDGE_WEBHOOK_TARGETS",
        '{"staff": {"url": "https://hooks.example", "format": "slack"}}',
    )

    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{(journey_dir / 'v1.yaml').as_posix()}: steps[1].then[0].send.target: webhook target "
        "'staf' is not configured; did you mean 'staff'? The configured targets are staff "
        "(CARTNUDGE_WEBHOOK_TARGETS)"
    ]

    arguments = [str(tmp_path), "--default-journey", "shop_journey", "--webhook-target", "staf"]
    assert main(arguments) == 0


# --- 10. settings the check can not read --------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "line"),
    [
        (
            {"SMS_PROVIDER": "twilio", "TWILIO_FROM": "+15550000000"},
            "cartnudge settings: CARTNUDGE_SMS_PROVIDER=twilio needs "
            "CARTNUDGE_TWILIO_ACCOUNT_SID, CARTNUDGE_TWILIO_AUTH_TOKEN to be set",
        ),
        (
            {"SMS_PROVIDER": "twillio"},
            "cartnudge settings: CARTNUDGE_SMS_PROVIDER: 'twillio' is not one of none, twilio, "
            "netgsm; did you mean 'twilio'?",
        ),
        (
            {"WEBHOOK_TARGETS": '{"staff": '},
            "cartnudge settings: CARTNUDGE_WEBHOOK_TARGETS can not be read: is it valid JSON?",
        ),
    ],
)
def test_settings_the_check_can_not_read_are_one_plain_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    line: str,
) -> None:
    write_journey(tmp_path)
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
        monkeypatch.delenv(f"CARTNUDGE_{name}", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(f"CARTNUDGE_{name}", value)

    assert main([str(tmp_path), "--default-journey", "shop_journey"]) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"{line}\n")


def test_an_attribute_only_rendering_can_see_is_said_the_same_way(tmp_path: Path) -> None:
    source = "{% set who = customer %}{{ who.frist_name }}\n{{ unsubscribe_url }}"

    assert problems_for(tmp_path, version(), with_template("txt", source)) == [
        (
            "steps[0]",
            "template reminder/en.txt line 1: unknown variable: 'frist_name' is not part of "
            "this value (keys with values)",
        )
    ]
