"""Each mistake a marketer can make is named with its file, step and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.journey_files import (
    EMAIL,
    LAYOUT,
    PUSH,
    SMS,
    load,
    message_files,
    problems_of,
    templates_for,
    version,
    write_journey,
)
from workflows.payloads import Channel

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
            "unknown step kind 'sleep': a step is one of wait, send, wait_for, branch, exit, split",
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
    document = version(steps=[{"send": {"id": "r1", "then": []}}], audience="vip")
    del document["trigger"]

    assert problems_for(tmp_path, document) == [
        (None, "missing required key 'trigger', e.g. trigger: {inactivity: 1h}"),
        (
            "steps[0].send",
            "unknown key 'then': the keys here are channel, template, target, id, coupon, "
            "on_coupon_failure",
        ),
        (
            None,
            "unknown key 'audience': the keys here are journey, version, description, trigger, "
            "entry, locale, quiet_hours, when_capped, on_suppression, conversion_window, "
            "holdout, low_stock_below, sms_max_segments, steps",
        ),
        ("steps[0].send", "a send step needs `template: <folder>`"),
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


def split(*arms: tuple[str, list[Any]], experiment: str = "first_wait") -> dict[str, Any]:
    """A split step whose arms share the weights evenly (two arms: 50 and 50)."""
    weights = [100 // len(arms)] * len(arms)
    weights[0] += 100 - sum(weights)
    written = {
        name: {"weight": weight, "steps": steps}
        for (name, steps), weight in zip(arms, weights, strict=True)
    }
    return {"split": {"experiment": experiment, "arms": written}}


def test_a_valid_split_with_a_holdout_is_read(tmp_path: Path) -> None:
    document = version(
        holdout="10%",
        steps=[
            split(("fast", [{"wait": "1h"}]), ("slow", [{"wait": "12h"}])),
            send(message_id="r1"),
            {"wait_for": {"clicked": "r1", "within": "1d"}},
        ],
    )

    assert problems_for(tmp_path, document) == []


def test_two_splits_with_one_experiment_name_are_refused(tmp_path: Path) -> None:
    document = version(
        steps=[
            split(("a", [{"wait": "1h"}]), ("b", [])),
            send(message_id="r1"),
            split(("a", [{"wait": "1h"}]), ("b", [split(("x", []), ("y", []))])),
        ]
    )

    experiment = (
        "experiment 'first_wait' is already the name of the split at steps[0]; give each "
        "split its own experiment name (reports tell experiments apart by it)"
    )
    assert problems_for(tmp_path, document) == [
        ("steps[2].split.experiment", experiment),
        ("steps[2].arms.b[0].split.experiment", experiment),
    ]


def test_message_ids_are_unique_across_arms_and_the_rest_of_the_journey(tmp_path: Path) -> None:
    templates = templates_for("reminder", "nudge")
    document = version(
        steps=[
            send(message_id="r1"),
            split(
                ("a", [send("nudge", "n1")]), ("b", [send("nudge", "n1"), send(message_id="r1")])
            ),
        ]
    )

    assert problems_for(tmp_path, document, templates) == [
        ("steps[1].arms.b[0].send.id", "message id 'n1' is already used at steps[1].arms.a[0]"),
        ("steps[1].arms.b[1].send.id", "message id 'r1' is already used at steps[0]"),
    ]


def test_a_wait_for_after_a_split_for_a_message_of_one_arm_may_never_have_been_sent(
    tmp_path: Path,
) -> None:
    templates = templates_for("reminder", "nudge")
    document = version(
        steps=[
            split(("a", [send(message_id="r1")]), ("b", [send("nudge", "n1")])),
            {"wait_for": {"clicked": "r1", "within": "1d"}},
        ]
    )

    assert problems_for(tmp_path, document, templates) == [
        (
            "steps[1].wait_for.clicked",
            "waits for message 'r1', which is not sent earlier on this path: it is sent at "
            "steps[0].arms.a[0], only in arm 'a' of experiment first_wait, so it may never "
            "have been sent to customers in the other arms; send it in every arm, or wait for "
            "it inside that arm",
        )
    ]


def test_a_wait_for_in_another_arm_is_refused_and_in_the_same_arm_accepted(
    tmp_path: Path,
) -> None:
    clicked_r1 = {"wait_for": {"clicked": "r1", "within": "1d"}}
    document = version(
        steps=[split(("a", [send(message_id="r1"), clicked_r1]), ("b", [clicked_r1]))]
    )

    assert [step for step, _ in problems_for(tmp_path, document)] == [
        "steps[0].arms.b[0].wait_for.clicked"
    ]


def test_arms_that_exit_are_forks_that_end_like_then_and_else(tmp_path: Path) -> None:
    document = version(
        steps=[
            split(("a", [send(message_id="r1")]), ("b", ["exit"])),
            {"wait_for": {"clicked": "r1", "within": "1d"}},  # every arm that goes on sent r1
            split(("c", ["exit"]), ("d", [{"exit": "no"}]), experiment="second"),
            {"wait": "1h"},
        ]
    )

    assert problems_for(tmp_path, document) == [
        ("steps[3]", "this step never runs: every path before it ends with exit")
    ]


def test_the_steps_of_every_arm_are_checked_like_any_steps(tmp_path: Path) -> None:
    document = version(
        steps=[
            send(message_id="r1"),
            split(
                ("a", [{"send": {"template": "still"}}]),
                ("b", [{"branch": "cart.totl > 5", "then": []}]),
            ),
        ]
    )

    assert problems_for(tmp_path, document, templates_for("reminder", "still_thinking")) == [
        (
            "steps[1].arms.b[0].branch",
            "condition 'cart.totl > 5': unknown name 'cart.totl'; did you mean 'cart.total'?",
        ),
        (
            "steps[1].arms.a[0]",
            "template 'still' does not exist; did you mean 'still_thinking'? The templates are "
            "reminder, still_thinking",
        ),
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
    document = version(steps=[send(message_id="r1"), send("text", "s1", channel="sms")])
    templates = {**templates_for("reminder"), **templates_for("text", channels=SMS)}

    assert problems_for(tmp_path, document, templates) == [
        ("steps[1].send.channel", "channel 'sms' is not available yet: no provider configured")
    ]


def test_a_channel_with_a_provider_is_accepted(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1"), send("text", "s1", channel="sms")])
    templates = {**templates_for("reminder"), **templates_for("text", channels=SMS)}

    assert problems_for(tmp_path, document, templates, channels=frozenset(Channel)) == []


# --- templates ---------------------------------------------------------------------------


def test_a_missing_template_names_file_step_and_template(tmp_path: Path) -> None:
    document = version(
        steps=[
            send(message_id="r1"),
            {"wait": "1h"},
            {"wait_for": {"clicked": "r1", "within": "1d"}, "then": [send("still", "r2")]},
        ]
    )
    templates = templates_for("reminder", "still_thinking")
    journey_dir = write_journey(tmp_path, versions={1: document}, templates=templates)
    catalog = load(tmp_path)

    assert str(catalog.problems[0]) == (
        f"{(journey_dir / 'v1.yaml').as_posix()}: steps[2].then[0]: template 'still' does not "
        "exist; did you mean 'still_thinking'? The templates are reminder, still_thinking"
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
    templates["reminder/en.txt"] = "Hi\n{% if false %}\n{{ discount_code }}\n{% endif %}"

    ((step, problem),) = problems_for(tmp_path, version(), templates)
    assert step == "steps[0]"
    assert problem.startswith("template reminder/en.txt line 3: unknown variable 'discount_code'; ")
    assert "templates can use checkout_url, coupon, currency, customer" in problem


def test_an_unknown_attribute_fails_validation_with_the_line(tmp_path: Path) -> None:
    templates = templates_for("reminder", locales=("en", "tr"))
    templates["reminder/tr.html"] = (
        '{% extends "_layout.html" %}{% block body %}\n\n{{ customer.frist_name }}{% endblock %}'
    )

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/tr.html line 3: unknown variable 'customer.frist_name'; did you "
            "mean 'customer.first_name'? customer has id, first_name, locale, language",
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
    assert problem == (
        "template reminder/en.txt line 1: syntax error: `{% for %}` is opened here and never "
        "closed: add `{% endfor %}` where the for should end"
    )


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
            "template _layout.html line 1: unknown variable 'shop_name'; did you mean 'shop'?",
        )
    ]


def test_html_without_the_open_pixel_is_refused(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.html"] = '<p>{{ total }}</p><a href="{{ unsubscribe_url }}">x</a>'

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            'template reminder/en.html does not include the open pixel: extend "_layout.html", '
            'or add <img src="{{ open_pixel_url }}" width="1" height="1" alt="">',
        )
    ]


def test_each_template_is_reported_once_at_its_first_step(tmp_path: Path) -> None:
    document = version(steps=[send("gone", "r1"), {"wait": "1h"}, send("gone", "r2")])

    assert problems_for(tmp_path, document) == [
        ("steps[0]", "template 'gone' does not exist; the templates are reminder")
    ]


# --- channels ----------------------------------------------------------------------------

SMS_AND_EMAIL = frozenset({Channel.EMAIL, Channel.SMS})


def test_an_unknown_channel_is_named_with_the_choices(tmp_path: Path) -> None:
    document = version(steps=[send(message_id="r1", channel=["sms", "fax"])])

    assert problems_for(tmp_path, document) == [
        (
            "steps[0].send.channel",
            "unknown channel 'fax': a channel is one of email, sms, push, webhook, "
            "or a preference list such as [sms, email]",
        )
    ]


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ([], "the channel list is empty: name at least one, e.g. [sms, email]"),
        (["email", "email"], "a channel is listed twice in the preference list"),
    ],
)
def test_a_malformed_preference_list_is_refused(
    tmp_path: Path, channel: list[str], problem: str
) -> None:
    document = version(steps=[send(message_id="r1", channel=channel)])

    step = "steps[0].send.channel" if not channel else "steps[0].send"
    assert problems_for(tmp_path, document) == [(step, problem)]


def test_a_preference_list_with_an_unconfigured_channel_is_accepted(tmp_path: Path) -> None:
    document = version(steps=[send("nudge", "n1", channel=["sms", "email"])])
    templates = templates_for("nudge", locales=("en", "tr"), channels=SMS + EMAIL)

    assert problems_for(tmp_path, document, templates) == []


def test_a_preference_list_where_no_channel_has_a_provider_is_refused(tmp_path: Path) -> None:
    steps = [
        send(message_id="r1"),
        {"wait": "1h"},
        {"branch": "cart.total > 5", "then": [send("ping", "p1", channel=["push", "sms"])]},
    ]
    templates = {**templates_for("reminder"), **templates_for("ping", channels=PUSH + SMS)}

    assert problems_for(tmp_path, version(steps=steps), templates) == [
        (
            "steps[2].then[0].send.channel",
            "none of the channels push, sms has a provider configured: the message could never "
            "be sent; add a channel that has one (e.g. email)",
        )
    ]


def test_a_template_needs_the_parts_of_every_channel_it_may_be_sent_on(tmp_path: Path) -> None:
    # email is configured and comes second: the sms parts are needed all the same, since
    # a customer with a phone number gets the SMS once SMS has a provider
    document = version(steps=[send("nudge", "n1", channel=["sms", "email"])])
    templates = templates_for("nudge", locales=("en", "tr"))
    templates.update(message_files("nudge", "tr", channels=SMS))

    assert problems_for(tmp_path, document, templates) == [
        ("steps[0]", "template 'nudge' is missing nudge/en.sms")
    ]


def test_every_locale_present_must_be_complete_for_every_channel(tmp_path: Path) -> None:
    document = version(steps=[send("nudge", "n1", channel=["sms", "email"])])
    templates = templates_for("nudge", locales=("en",), channels=SMS + EMAIL)
    templates.update(message_files("nudge", "tr", channels=("sms", "subject", "txt")))
    templates.update(message_files("nudge", "de", channels=("html",)))

    assert problems_for(tmp_path, document, templates, channels=SMS_AND_EMAIL) == [
        ("steps[0]", "template 'nudge' is missing nudge/de.sms"),
        ("steps[0]", "template 'nudge' is missing nudge/de.subject, nudge/de.txt"),
        ("steps[0]", "template 'nudge' is missing nudge/tr.html"),
    ]


def test_the_default_locale_needs_every_part_of_every_channel(tmp_path: Path) -> None:
    document = version(steps=[send("nudge", "n1", channel=["sms", "email"])])
    templates = templates_for("nudge", locales=("tr",), channels=SMS + EMAIL)

    assert problems_for(tmp_path, document, templates) == [
        (
            "steps[0]",
            "template 'nudge' has no 'en' version, the journey's default locale: "
            "add nudge/en.sms, .subject, .html and .txt",
        )
    ]


def test_a_missing_part_is_reported_at_the_first_step_sending_on_that_channel(
    tmp_path: Path,
) -> None:
    steps = [
        send(message_id="r1"),
        {"wait": "1d"},
        send("reminder", "r2", channel=["push", "email"]),
    ]
    templates = templates_for("reminder")
    templates.update(message_files("reminder", channels=("push",)))

    assert problems_for(tmp_path, version(steps=steps), templates) == [
        ("steps[2]", "template 'reminder' is missing reminder/en.push_title")
    ]


def test_a_template_with_only_other_channels_parts_has_no_version_for_this_one(
    tmp_path: Path,
) -> None:
    templates = {**templates_for("reminder"), **templates_for("text", channels=SMS)}
    document = version(steps=[send(message_id="r1"), send("text", "t1", channel="push")])

    assert problems_for(tmp_path, document, templates, channels=frozenset(Channel)) == [
        (
            "steps[1]",
            "template 'text' has no 'en' version, the journey's default locale: "
            "add text/en.push_title and .push",
        )
    ]


def test_an_sms_part_is_checked_for_unknown_variables_and_rendering(tmp_path: Path) -> None:
    document = version(steps=[send("text", "t1", channel="sms")])
    templates = templates_for("text", locales=("en", "tr"), channels=SMS)
    templates["text/en.sms"] = "Use {{ coupon_code }}"
    templates["text/tr.sms"] = "{{ customer.first_name.upper() }}"

    problems = problems_for(tmp_path, document, templates, channels=SMS_AND_EMAIL)
    assert [step for step, _ in problems] == ["steps[0]"]
    assert problems[0][1].startswith("template text/en.sms line 1: unknown variable 'coupon_code'")

    templates["text/en.sms"] = "Your cart: {{ checkout_url }}"
    problems = problems_for(tmp_path / "again", document, templates, channels=SMS_AND_EMAIL)
    assert [step for step, _ in problems] == ["steps[0]"]
    assert problems[0][1].startswith("template text/tr.sms line 1: ")


def test_an_sms_that_renders_empty_is_refused(tmp_path: Path) -> None:
    document = version(steps=[send("text", "t1", channel="sms")])
    templates = templates_for("text", channels=SMS)
    templates["text/en.sms"] = "{% if false %}x{% endif %}\n"

    assert problems_for(tmp_path, document, templates, channels=SMS_AND_EMAIL) == [
        ("steps[0]", "template text/en.sms: renders empty")
    ]


def test_an_sms_longer_than_the_limit_names_file_locale_and_counts(tmp_path: Path) -> None:
    document = version(steps=[send("text", "t1", channel=["sms", "push"])])
    templates = templates_for("text", locales=("en", "tr"), channels=SMS + PUSH)
    # 7 * 23 + 6, a newline and the 38 characters of the Turkish opt-out: 206, 4 parts of 67
    templates["text/tr.sms"] = "Sepetin seni bekliyor. " * 7 + "Şimdi!"
    templates["text/en.sms"] = "a" * 300  # 323 with the opt-out: 3 parts of 153

    assert problems_for(tmp_path, document, templates, channels=SMS_AND_EMAIL) == [
        (
            "steps[0]",
            "template text/tr.sms: 4 segments (UCS-2, 206 characters), opt-out line included; "
            "at most 3 (sms_max_segments)",
        )
    ]


def test_the_sms_limit_is_set_per_version(tmp_path: Path) -> None:
    document = version(steps=[send("text", "t1", channel="sms")], sms_max_segments=1)
    templates = templates_for("text", channels=SMS)
    templates["text/en.sms"] = "Hi{% if customer.first_name %} {{ customer.first_name }}{% endif %}"
    templates["text/en.sms"] += ", " + "a" * 132  # "Hi Alex, ..." 141 + 1 + 22 opt-out

    assert problems_for(tmp_path, document, templates, channels=SMS_AND_EMAIL) == [
        (
            "steps[0]",
            "template text/en.sms: 2 segments (GSM-7, 164 characters), opt-out line included; "
            "at most 1 (sms_max_segments)",
        )
    ]


# An SMS is measured with the short links it is sent with (tracking/short_links.py): 41
# characters for the stand-in https://shop.example.com/t/s/ + 12, not the template's own.
SHORT_LINK_TEXT = "Merhaba {{ customer.first_name }}, sepetin seni bekliyor: {{ checkout_url }}"


def sms_journey(tmp_path: Path, text: str, **overrides: Any) -> None:
    document = version(steps=[send("text", "t1", channel="sms")], locale="tr", **overrides)
    templates = templates_for("text", locales=("tr",), channels=SMS)
    templates["text/tr.sms"] = text
    write_journey(tmp_path, versions={1: document}, templates=templates)


def test_a_turkish_sms_is_measured_with_its_short_link(tmp_path: Path) -> None:
    sms_journey(tmp_path, SHORT_LINK_TEXT)

    journey = load(tmp_path, channels=SMS_AND_EMAIL).journey("shop_journey")

    # "Merhaba Ayşe, sepetin seni bekliyor: " 37, the link 41, a newline, the opt-out 38
    assert str(journey.sms_lengths["text/tr.sms"]) == "2 segments (UCS-2, 117 characters)"
    assert journey.releases  # within the default 3


def test_the_deployments_public_url_sets_the_link_length(tmp_path: Path) -> None:
    sms_journey(tmp_path, SHORT_LINK_TEXT)
    public_url = "https://kampanya.kosu-dukkani.com.tr"  # 12 characters longer than the stand-in

    journey = load(tmp_path, channels=SMS_AND_EMAIL, public_url=public_url).journey("shop_journey")

    assert str(journey.sms_lengths["text/tr.sms"]) == "2 segments (UCS-2, 129 characters)"


def test_an_sms_that_fits_only_with_a_shorter_link_is_refused(tmp_path: Path) -> None:
    # 59 characters, the link, a newline and the opt-out: 134 (2 segments) with the 36 of
    # the cart's own checkout URL, 139 (3) with the short link the SMS really carries
    text = "Sepetindeki ürünler tükenmeden alışverişini şimdi tamamla: {{ checkout_url }}"
    sms_journey(tmp_path, text, sms_max_segments=2)

    catalog = load(tmp_path, channels=SMS_AND_EMAIL)

    assert [problem for problem in problems_of(catalog) if "v1 is refused" not in problem[2]] == [
        (
            "v1.yaml",
            "steps[0]",
            "template text/tr.sms: 3 segments (UCS-2, 139 characters), opt-out line and "
            "41-character links included; at most 2 (sms_max_segments)",
        )
    ]


# --- webhook steps -----------------------------------------------------------------------


def test_a_webhook_step_posts_to_a_target_without_a_template(tmp_path: Path) -> None:
    steps = [
        send(message_id="r1"),
        {
            "branch": "cart.total >= 5000",
            "then": [{"send": {"channel": "webhook", "target": "staff", "id": "alert"}}],
        },
    ]

    assert problems_for(tmp_path, version(steps=steps)) == []


@pytest.mark.parametrize(
    ("spec", "step", "problem"),
    [
        ({"channel": "webhook"}, "steps[1].send", "a webhook step needs `target: <name>`"),
        (
            {"channel": "webhook", "target": "staff", "template": "reminder"},
            "steps[1].send",
            "a webhook step posts the cart as JSON: it takes no template",
        ),
        (
            {"channel": ["webhook", "email"], "target": "staff", "template": "reminder"},
            "steps[1].send",
            "a webhook can not be part of a channel preference list",
        ),
        (
            {"template": "reminder", "target": "staff"},
            "steps[1].send",
            "only webhook steps take a `target`",
        ),
        (
            {"channel": "webhook", "target": "Staff Room"},
            "steps[1].send.target",
            "'Staff Room': webhook target names use lowercase letters, digits and _, e.g. staff",
        ),
    ],
)
def test_webhook_mistakes(tmp_path: Path, spec: dict[str, Any], step: str, problem: str) -> None:
    document = version(steps=[send(message_id="r1"), {"send": spec}])

    assert problems_for(tmp_path, document) == [(step, problem)]


def test_a_webhook_needs_no_provider_and_its_target_is_left_to_the_worker(
    tmp_path: Path,
) -> None:
    document = version(
        steps=[send(message_id="r1"), {"send": {"channel": "webhook", "target": "no_such"}}]
    )

    assert problems_for(tmp_path, document, channels=frozenset({Channel.EMAIL})) == []


# --- email links, quiet hours ------------------------------------------------------------


def test_email_without_the_unsubscribe_link_is_refused_in_html_and_text(tmp_path: Path) -> None:
    templates = templates_for("reminder", locales=("en", "tr"))
    templates["_layout.html"] = LAYOUT.replace("unsubscribe_url", "checkout_url")
    templates["reminder/tr.txt"] = "{{ total }} {{ checkout_url }}"

    assert problems_for(tmp_path, version(), templates) == [
        (
            "steps[0]",
            "template reminder/en.html does not include the unsubscribe link: extend "
            '"_layout.html", or add <a href="{{ unsubscribe_url }}">Unsubscribe</a>',
        ),
        (
            "steps[0]",
            "template reminder/tr.html does not include the unsubscribe link: extend "
            '"_layout.html", or add <a href="{{ unsubscribe_url }}">Unsubscribe</a>',
        ),
        (
            "steps[0]",
            "template reminder/tr.txt does not include the unsubscribe link: add a line such "
            "as Unsubscribe: {{ unsubscribe_url }} (the shipped templates {% include "
            '"_unsubscribe.txt" %})',
        ),
    ]


def test_quiet_hours_are_written_as_times_of_day_quoted_or_not(tmp_path: Path) -> None:
    text = (
        "journey: shop_journey\nversion: 1\ntrigger: {inactivity: 1h}\n"
        "quiet_hours: {from: 21:00, to: 9am}\nsteps:\n  - send: {template: reminder}\n"
    )

    assert problems_for(tmp_path, text) == [
        ("quiet_hours.to", "'9am': write a time of day as HH:MM, 24-hour clock, e.g. 09:00")
    ]
    write_journey(tmp_path / "ok", versions={1: text.replace("9am", '"09:00"')})
    pinned = load(tmp_path / "ok").journey("shop_journey").release(1)
    assert pinned.definition.quiet_hours is not None
    assert (pinned.definition.quiet_hours.from_, pinned.definition.quiet_hours.to) == (
        "21:00",
        "09:00",
    )


def test_only_emails_report_opens(tmp_path: Path) -> None:
    steps = [
        send("text", "t1", channel="sms"),
        {"wait_for": {"opened": "t1", "within": "1d"}},
        send("text", "t2", channel=["sms", "email"]),
        {"wait_for": {"opened": "t2", "within": "1d"}},
        {"wait_for": {"clicked": "t1", "within": "1d"}},
    ]
    templates = templates_for("text", channels=SMS + EMAIL)

    assert problems_for(tmp_path, version(steps=steps), templates, channels=SMS_AND_EMAIL) == [
        (
            "steps[1].wait_for.opened",
            "message 't1' goes by sms: only emails report opens; wait for `clicked` instead",
        )
    ]


def test_a_webhook_is_never_opened_or_clicked(tmp_path: Path) -> None:
    steps = [
        {"send": {"channel": "webhook", "target": "crm", "id": "w1"}},
        {"wait_for": {"clicked": "w1", "within": "1d"}},
    ]

    assert problems_for(tmp_path, version(steps=steps)) == [
        ("steps[1].wait_for.clicked", "message 'w1' is a webhook: it is never opened or clicked")
    ]
