"""Each mistake a marketer can make is named with its file, step and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journey_schema.models import Channel
from tests.unit.journey_files import (
    LAYOUT,
    load,
    message_files,
    problems_of,
    templates_for,
    version,
    write_journey,
)

DURATION_HINT = "write a number and a unit (s, m, h, d, w), e.g. 30m, 1h, 1h30m, 2d"


def problems_for(
    tmp_path: Path,
    document: dict[str, Any] | str,
    templates: dict[str, str] | None = None,
    **load_options: Any,
) -> list[tuple[str | None, str]]:
    """(step, problem) for one version file, leaving out the 'refused' summary line."""
    write_journey(tmp_path, versions={1: document}, templates=templates)
    catalog = load(tmp_path, **load_options)
    return [
        (step, problem)
        for file, step, problem in problems_of(catalog)
        if file == "v1.yaml" and not problem.startswith("v1 is refused")
    ]


def send(template: str = "reminder", message_id: str | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": template, **extra}
    if message_id:
        spec["id"] = message_id
    return {"send": spec}


# --- YAML and schema ---------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = "journey: shop_journey\nversion: 1\nsteps:\n  - wait: 1h\n   send: {template: x}\n"

    assert problems_for(tmp_path, text) == [
        (
            None,
            "YAML syntax error at line 5, column 4: while parsing a block collection "
            "expected <block end>, but found '<block mapping start>'",
        )
    ]


def test_a_key_written_twice_is_refused_rather_than_silently_dropped(tmp_path: Path) -> None:
    text = "journey: shop_journey\nversion: 1\nversion: 2\n"

    assert problems_for(tmp_path, text) == [
        (None, "line 3, column 1: key 'version' is written twice in the same mapping")
    ]


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert problems_for(tmp_path, "- wait: 1h\n") == [
        (None, "a version file is a mapping with journey, version, trigger and steps")
    ]


def test_unknown_step_kind_names_the_step(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1"), {"sleep": "1h"}])

    assert problems_for(tmp_path, document) == [
        (
            "steps[1]",
            "unknown step kind 'sleep': a step is one of wait, send, wait_for, branch, exit",
        )
    ]


def test_a_step_with_two_kinds_is_refused(tmp_path: Path) -> None:
    document = version(steps=[{"wait": "1h", "send": {"template": "reminder"}}])

    assert problems_for(tmp_path, document) == [
        (
            "steps[0]",
            "a step has exactly one kind, this one has wait, send: write them as separate steps",
        )
    ]


def test_malformed_durations_name_their_field_even_when_nested(tmp_path: Path) -> None:
    document = version(
        trigger={"inactivity": "1x"},
        steps=[
            send(message_id="r1"),
            {"wait_for": {"clicked": "r1", "within": "a day"}, "else": [{"wait": 5}]},
        ],
    )

    assert problems_for(tmp_path, document) == [
        ("trigger.inactivity", f"malformed duration '1x': {DURATION_HINT}"),
        ("steps[1].wait_for.within", f"malformed duration 'a day': {DURATION_HINT}"),
        ("steps[1].else[0].wait", "duration 5 needs a unit, e.g. 5m or 5h"),
    ]


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    document = version(steps=[{"send": {"id": "r1", "then": []}}], holdout="10%")
    del document["trigger"]

    assert problems_for(tmp_path, document) == [
        (None, "missing required key 'trigger'"),
        ("steps[0].send", "missing required key 'template'"),
        ("steps[0].send", "unknown key 'then'"),
        (None, "unknown key 'holdout'"),
    ]


def test_wait_for_needs_exactly_one_event(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1"), {"wait_for": {"within": "1h"}}])

    assert problems_for(tmp_path, document) == [
        ("steps[1].wait_for", "wait_for needs exactly one of `opened: <id>` or `clicked: <id>`")
    ]


def test_bad_names_get_a_hint_not_a_regex(tmp_path: Path) -> None:
    document = version(steps=[send("Reminder", message_id="1st")])

    assert problems_for(tmp_path, document) == [
        (
            "steps[0].send.template",
            "'Reminder': template names use lowercase letters, digits and _, e.g. still_thinking",
        ),
        (
            "steps[0].send.id",
            "'1st': message ids start with a letter, then letters, digits, _ or -, e.g. r1",
        ),
    ]


def test_journey_and_version_must_match_folder_and_file_name(tmp_path: Path) -> None:
    document = version(name="other_name", number=3)

    assert problems_for(tmp_path, document) == [
        ("journey", "'other_name' does not match its folder 'shop_journey'"),
        ("version", "3 does not match the file name v1.yaml"),
    ]


def test_every_problem_is_collected_not_only_the_first(tmp_path: Path) -> None:
    document = version(
        trigger={"inactivity": "later"},
        entry={"when": "cart.totl > 5"},
        steps=[send("reminder", "r1"), send("missing_one", "r1"), {"jump": 1}],
    )

    assert [step for step, _ in problems_for(tmp_path, document)] == [
        "trigger.inactivity",
        "steps[2]",
        "entry.when",
        "steps[1].send.id",
        "steps[1]",
    ]


# --- structure ---------------------------------------------------------------------------


def test_duplicate_message_ids_are_refused_across_branches(tmp_path: Path) -> None:
    document = version(
        steps=[
            send(message_id="r1"),
            {
                "wait_for": {"clicked": "r1", "within": "1d"},
                "then": [send(message_id="r2")],
                "else": [send(message_id="r2")],
            },
        ]
    )

    assert problems_for(tmp_path, document) == [
        ("steps[1].else[0].send.id", "message id 'r2' is already used at steps[1].then[0]")
    ]


def test_wait_for_a_message_no_step_sends(tmp_path: Path) -> None:
    document = version(
        steps=[send(message_id="r1"), {"wait_for": {"opened": "r9", "within": "1d"}}]
    )

    assert problems_for(tmp_path, document) == [
        (
            "steps[1].wait_for.opened",
            "waits for message 'r9', which is not sent earlier on this path: "
            "no step sends a message with that id",
        )
    ]


def test_wait_for_a_message_sent_later_is_refused(tmp_path: Path) -> None:
    document = version(
        steps=[{"wait_for": {"clicked": "r1", "within": "1d"}}, send(message_id="r1")]
    )

    assert problems_for(tmp_path, document) == [
        (
            "steps[0].wait_for.clicked",
            "waits for message 'r1', which is not sent earlier on this path: "
            "it is sent at steps[1], which does not always run before this step",
        )
    ]


def test_a_message_sent_only_in_then_is_not_earlier_after_the_fork(tmp_path: Path) -> None:
    document = version(
        steps=[
            {"branch": "cart.total > 100", "then": [send(message_id="big")]},
            {"wait_for": {"opened": "big", "within": "1d"}},
        ]
    )

    assert problems_for(tmp_path, document) == [
        (
            "steps[1].wait_for.opened",
            "waits for message 'big', which is not sent earlier on this path: "
            "it is sent at steps[0].then[0], which does not always run before this step",
        )
    ]


def test_paths_that_all_send_the_message_or_exit_make_it_earlier(tmp_path: Path) -> None:
    templates = templates_for("reminder", "nudge")
    document = version(
        steps=[
            {
                "branch": "cart.total > 100",
                "then": [send(message_id="a")],
                "else": [{"exit": "small cart"}],
            },
            {
                "wait_for": {"opened": "a", "within": "1d"},
                "then": [send("nudge", "b"), {"wait_for": {"clicked": "b", "within": "1h"}}],
            },
        ]
    )

    assert problems_for(tmp_path, document, templates) == []


def test_a_wait_for_inside_then_may_use_a_message_sent_earlier_in_that_then(
    tmp_path: Path,
) -> None:
    document = version(
        steps=[
            {
                "branch": "customer.consent.email",
                "then": [send(message_id="r1"), {"wait_for": {"clicked": "r1", "within": "1h"}}],
            }
        ]
    )

    assert problems_for(tmp_path, document) == []


def test_steps_after_a_fork_where_every_path_exits_never_run(tmp_path: Path) -> None:
    document = version(
        steps=[
            send(message_id="r1"),
            {"branch": "cart.total > 5", "then": ["exit"], "else": [{"exit": None}]},
            {"wait": "1h"},
        ]
    )

    assert problems_for(tmp_path, document) == [
        ("steps[2]", "this step never runs: every path before it ends with exit")
    ]


@pytest.mark.parametrize(
    ("where", "condition", "problem"),
    [
        ("entry", "cart.totl > 5", "unknown name 'cart.totl'; did you mean 'cart.total'?"),
        ("branch", "cart.total > '5'", "`>` compares numbers only"),
        ("branch", "__import__('os')", "calling a function is not allowed"),
    ],
)
def test_bad_conditions_are_named_where_they_are(
    tmp_path: Path, where: str, condition: str, problem: str
) -> None:
    if where == "entry":
        document = version(entry={"when": condition})
        expected_step = "entry.when"
    else:
        document = version(steps=[send(message_id="r1"), {"branch": condition, "then": []}])
        expected_step = "steps[1].branch"

    ((step, text),) = problems_for(tmp_path, document)
    assert step == expected_step
    assert text.startswith(f"condition {condition!r}: ")
    assert problem in text


def test_a_channel_without_a_provider_is_refused(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1"), send(message_id="s1", channel="sms")])

    assert problems_for(tmp_path, document) == [
        ("steps[1].send.channel", "channel 'sms' is not available yet: no provider configured")
    ]


def test_a_channel_with_a_provider_is_accepted(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1"), send(message_id="s1", channel="sms")])

    assert problems_for(tmp_path, document, channels=frozenset(Channel)) == []


# --- templates ---------------------------------------------------------------------------


def test_a_missing_template_names_file_step_and_template(tmp_path: Path) -> None:
    document = version(
        steps=[
            send(message_id="r1"),
            {"wait": "1h"},
            {"wait_for": {"clicked": "r1", "within": "1d"}, "then": [send("still", "r2")]},
        ]
    )
    journey_dir = write_journey(tmp_path, versions={1: document})
    catalog = load(tmp_path)

    assert str(catalog.problems[0]) == (
        f"{(journey_dir / 'v1.yaml').as_posix()}: steps[2].then[0]: template 'still' does not exist"
    )


def test_a_template_without_the_default_locale_is_refused(tmp_path: Path) -> None:
    templates = {"_layout.html": LAYOUT, **message_files("reminder", "tr")}

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template 'reminder' has no 'en' version, the journey's default locale: "
            "add reminder/en.subject, .html and .txt",
        )
    ]


def test_a_locale_with_a_missing_part_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates.update(message_files("reminder", "tr", txt=None))

    assert problems_for(tmp_path, version(), templates) == [
        ("steps[0]", "template 'reminder' is missing reminder/tr.txt")
    ]


def test_an_unknown_variable_is_found_even_in_a_branch_not_taken(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.txt"] = "Hi\n{% if false %}\n{{ coupon_code }}\n{% endif %}"

    ((step, problem),) = problems_for(tmp_path, version(), templates)
    assert step == "steps[0]"
    assert problem.startswith("template reminder/en.txt line 3: unknown variable 'coupon_code'; ")
    assert "templates can use checkout_url, currency, customer" in problem


def test_an_undefined_attribute_fails_validation_with_the_line(tmp_path: Path) -> None:
    templates = templates_for("reminder", locales=("en", "tr"))
    templates["reminder/tr.html"] = (
        '{% extends "_layout.html" %}{% block body %}\n\n{{ customer.frist_name }}{% endblock %}'
    )

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/tr.html line 3: undefined: 'dict object' has no attribute "
            "'frist_name'",
        )
    ]


def test_a_template_that_breaks_without_optional_data_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.subject"] = "{{ customer.first_name.upper() }}, come back"

    ((step, problem),) = problems_for(tmp_path, version(), templates)
    assert step == "steps[0]"
    assert problem.startswith("template reminder/en.subject line 1: ")
    assert "upper" in problem


def test_a_template_syntax_error_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.txt"] = "{% for item in items %}\n{{ item.name }}\n"

    ((step, problem),) = problems_for(tmp_path, version(), templates)
    assert step == "steps[0]"
    assert problem.startswith("template reminder/en.txt line 2: syntax error: Unexpected end")


def test_a_sandbox_escape_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.txt"] = "{{ items.__class__.__mro__ }}"

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/en.txt line 1: not allowed in a template: access to attribute "
            "'__class__' of 'list' object is unsafe.",
        )
    ]


def test_a_broken_partial_is_reported_once(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["_layout.html"] = "{{ shop_name }}{% block body %}{% endblock %}"

    assert problems_for(tmp_path, version(), templates) == [
        (
            None,
            "template _layout.html line 1: unknown variable 'shop_name'; templates can use "
            "checkout_url, currency, customer, item_count, items, language, locale, "
            "open_pixel_url, quantity, shop, total",
        )
    ]


def test_html_without_the_open_pixel_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.html"] = "<p>{{ total }}</p>"

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            'template reminder/en.html does not include the open pixel: extend "_layout.html", '
            'or add <img src="{{ open_pixel_url }}" width="1" height="1" alt="">',
        )
    ]


def test_each_template_is_reported_once_at_its_first_step(tmp_path: Path) -> None:
    document = version(steps=[send("gone", "r1"), {"wait": "1h"}, send("gone", "r2")])

    assert problems_for(tmp_path, document) == [("steps[0]", "template 'gone' does not exist")]
