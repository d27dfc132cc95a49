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
            "'item.name'? item has sku, name, quantity, unit_price, line_total, snapshot_price, "
            "price_dropped, in_stock, low_stock, image_url, url",
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


# --- 10. experiments and the holdout ------------------------------------------------------

ARMS_EXAMPLE = (
    "arms: {fast: {weight: 50, steps: [{wait: 1h}]}, slow: {weight: 50, steps: [{wait: 12h}]}}"
)
WEIGHT = "a weight is the arm's share of customers in percent, a whole number from 1 to 100"


def split_step(arms: str, *, experiment: str = "first_wait", extra: str = "") -> str:
    """A version whose first step is a split with these arms (a YAML flow mapping)."""
    return (
        HEADER + "steps:\n  - split:\n"
        f"      experiment: {experiment}\n      arms: {arms}\n{extra}"
        "  - send: {template: reminder, id: r1}\n"
    )


@pytest.mark.parametrize(
    ("text", "step", "problem"),
    [
        (
            split_step("{fast: {weight: 40, steps: []}, slow: {weight: 50, steps: []}}"),
            "steps[0].split",
            "the arms of first_wait add up to 90% (fast 40, slow 50); make them add up to 100",
        ),
        (
            split_step("{fast: {weight: 0}, slow: {weight: 100}}"),
            "steps[0].split.arms.fast.weight",
            f"{WEIGHT}, e.g. 50; not the number 0",
        ),
        (
            split_step("{fast: {weight: 50.5}, slow: {weight: 49.5}}"),
            "steps[0].split.arms.fast.weight",
            f"{WEIGHT}, e.g. 50; not the number 50.5",
        ),
        (
            split_step("{fast: {weight: 50%}, slow: {weight: 50}}"),
            "steps[0].split.arms.fast.weight",
            f"write 50, without the % sign: {WEIGHT}",
        ),
        (
            split_step("{fast: {weight: true}, slow: {weight: 99}}"),
            "steps[0].split.arms.fast.weight",
            f"{WEIGHT}, e.g. 50; not the yes/no value true",
        ),
        (
            split_step("{fast: {weight: 100, steps: [{wait: 1h}]}}"),
            "steps[0].split.arms",
            f"an experiment needs at least two arms, the control first, e.g. {ARMS_EXAMPLE}; "
            "this one has 1",
        ),
        (
            split_step("[{weight: 50}, {weight: 50}]"),
            "steps[0].split.arms",
            f"write keys with values here (key: value), e.g. {ARMS_EXAMPLE}; not a list",
        ),
        (
            split_step("{fast: [{wait: 1h}], slow: {weight: 50}}"),
            "steps[0].split.arms.fast",
            "write the arm as its weight and its steps, e.g. fast: {weight: 50, steps: "
            "[{wait: 1h}]}; not a list",
        ),
        (
            split_step("{fast-1: {weight: 50}, slow: {weight: 50}}"),
            "steps[0].split.arms",
            "arm name 'fast-1': arm names start with a letter, then letters, digits or _, "
            "e.g. fast or control; did you mean 'fast_1'?",
        ),
        (
            split_step("{no: {weight: 50}, yes: {weight: 50}}"),
            "steps[0].split.arms",
            "arm name false: YAML reads yes, no, on and off as true or false; write the name "
            "in quotes, or choose another",
        ),
        (
            split_step("{a: {weight: 50}, b: {weight: 50}}", experiment="First Wait"),
            "steps[0].split.experiment",
            "'First Wait': experiment names use lowercase letters, digits and _, e.g. "
            "first_wait; did you mean 'first_wait'?",
        ),
        (
            split_step("{a: {weigth: 50}, b: {weight: 50}}"),
            "steps[0].split.arms.a",
            "missing required key 'weight', e.g. weight: 50",
        ),
        (
            split_step("{a: {weight: 50, step: []}, b: {weight: 50}}"),
            "steps[0].split.arms.a",
            "unknown key 'step'; did you mean 'steps'?",
        ),
        (
            split_step("{a: {weight: 50}, b: {weight: 50}}", extra="      assign: customers\n"),
            "steps[0].split.assign",
            "'customers' is not one of customer, cart; did you mean 'customer'?",
        ),
        (
            split_step("{a: {weight: 50}, b: {weight: 50}}", extra="      decide: conversion\n"),
            "steps[0].split.decide",
            "write keys with values here (key: value), e.g. decide: {metric: conversion, "
            "min_carts: 200}; not 'conversion'",
        ),
        (
            split_step(
                "{a: {weight: 50}, b: {weight: 50}}", extra="      decide: {metric: revenue}\n"
            ),
            "steps[0].split.decide.metric",
            "'revenue' is not one of conversion, revenue_per_cart; did you mean "
            "'revenue_per_cart'?",
        ),
        (
            split_step(
                "{a: {weight: 50}, b: {weight: 50}}",
                extra="      decide: {metric: conversion, min_carts: 0}\n",
            ),
            "steps[0].split.decide.min_carts",
            "min_carts is how many carts every arm needs before a winner is chosen: write 1 "
            "or more, e.g. 200; not the number 0",
        ),
    ],
)
def test_split_mistakes_are_said_in_the_words_of_an_experiment(
    tmp_path: Path, text: str, step: str, problem: str
) -> None:
    assert problems_for(tmp_path, text)[0] == (step, problem)


def test_misspelt_keys_of_a_split_and_its_decide_rule_get_the_closest_key(
    tmp_path: Path,
) -> None:
    text = (
        HEADER + "steps:\n  - split:\n      experiment: subject\n"
        "      arm: {a: {weight: 50}, b: {weight: 50}}\n"
        "  - split:\n      experiment: first_wait\n"
        "      arms: {a: {weight: 50}, b: {weight: 50}}\n"
        "      decide: {metrics: conversion, min_cart: 300}\n"
        "  - send: {template: reminder, id: r1}\n"
    )

    assert problems_for(tmp_path, text) == [
        ("steps[0].split", f"missing required key 'arms', e.g. {ARMS_EXAMPLE}"),
        ("steps[0].split", "unknown key 'arm'; did you mean 'arms'?"),
        ("steps[1].split.decide", "missing required key 'metric', e.g. metric: conversion"),
        ("steps[1].split.decide", "unknown key 'metrics'; did you mean 'metric'?"),
        ("steps[1].split.decide", "unknown key 'min_cart'; did you mean 'min_carts'?"),
    ]


def test_the_steps_of_an_arm_are_named_by_their_arm(tmp_path: Path) -> None:
    text = split_step("{fast: {weight: 50, steps: [{wiat: 1h}, {wait: 1x}]}, slow: {weight: 50}}")

    assert problems_for(tmp_path, text) == [
        (
            "steps[0].arms.fast[0]",
            "unknown step kind 'wiat'; did you mean 'wait'? A step is one of wait, send, "
            "wait_for, branch, exit, split",
        ),
        (
            "steps[0].arms.fast[1].wait",
            "malformed duration '1x': write a number and a unit (s, m, h, d, w), e.g. 30m, 1h, "
            "1h30m, 2d",
        ),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "holdout: ten percent",
            "malformed share 'ten percent': write a share such as 10% or 2.5%",
        ),
        ("holdout: -5%", "malformed share '-5%': write a share such as 10% or 2.5%"),
        (
            "holdout: 60%",
            "a holdout of 60% is too large: write a share such as 10%, at most 50% (more would "
            "leave too few customers to message)",
        ),
        (
            "holdout: 100%",
            "a holdout of 100% is too large: write a share such as 10%, at most 50% (more "
            "would leave too few customers to message)",
        ),
        (
            "holdout: 0%",
            "a holdout of 0% holds nobody out: write a share such as 10%, or leave `holdout` out",
        ),
        (
            "holdout: 0.1",
            "0.1 reads as 0.1%: write 10% for one customer in ten, or 0.1% if you mean that few",
        ),
        ("holdout: yes", "write a share such as 10% or 2.5%, not the yes/no value true"),
        ("holdout: [10%]", "write a share such as 10% or 2.5%, not a list"),
    ],
)
def test_a_holdout_is_written_as_a_share(tmp_path: Path, line: str, problem: str) -> None:
    assert problems_for(tmp_path, HEADER + line + "\n" + SEND_REMINDER) == [("holdout", problem)]


@pytest.mark.parametrize(
    "line", ["holdout: 10%", "holdout: 2.5%", "holdout: 10", "holdout: 50%", "holdout: 0.5%"]
)
def test_a_holdout_share_is_accepted(tmp_path: Path, line: str) -> None:
    assert problems_for(tmp_path, HEADER + line + "\n" + SEND_REMINDER) == []
