"""Reading journey folders: valid versions as releases, problems in plain words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from journey_schema.errors import JourneyNotFound
from journey_schema.journey_files import read_journeys
from journey_schema.models import BranchStep, OnSuppression, SendStep, WaitForStep, WaitStep
from journey_schema.walk import splits
from tests.unit.journey_files import (
    EMAIL,
    PUSH,
    REPO_JOURNEYS,
    SMS,
    load,
    message_files,
    problems_of,
    templates_for,
    version,
    write_journey,
    write_templates,
)
from workflows.payloads import Channel, WhenCapped


def test_shipped_journeys_load_without_problems() -> None:
    files = read_journeys(REPO_JOURNEYS, channels=frozenset(Channel))

    assert files.problems == []
    assert sorted(files.journeys) == ["abandoned_cart", "demo"]
    assert sorted(files.journey("abandoned_cart").releases) == [1, 2, 3, 4]
    v3 = files.journey("abandoned_cart").release(3).definition
    assert v3.holdout == 1000  # 10%, in basis points
    assert [(path, split.experiment) for path, split in splits(v3.steps)] == [
        ("steps[0]", "first_subject")
    ]
    assert files.journey("demo").settings.shops == ["demo"]


def test_a_retired_active_line_says_what_replaced_it(tmp_path: Path) -> None:
    write_journey(tmp_path, folder={"active": 1})

    assert problems_of(load(tmp_path)) == [
        (
            "journey.yaml",
            "active",
            "`active:` is no longer read: what new carts get is an activation. Delete the "
            "line and run `cartnudge journeys activate shop_journey VERSION` "
            "(journeys/README.md, Going live)",
        )
    ]


def test_a_release_does_not_change_when_files_change_afterwards(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    release = load(tmp_path).journey("shop_journey").release(1)
    before = release.model_dump()

    html = journey_dir / "templates" / "reminder" / "en.html"
    html.write_text(html.read_text(encoding="utf-8") + "<p>new</p>", encoding="utf-8")
    again = load(tmp_path).journey("shop_journey").release(1)

    assert release.model_dump() == before
    assert again.templates["reminder/en.html"].endswith("<p>new</p>")
    assert again.id != release.id


def test_shipped_abandoned_cart_is_the_three_touch_flow() -> None:
    journey = read_journeys(REPO_JOURNEYS).journey("abandoned_cart").release(1).definition

    assert (journey.journey, journey.version) == ("abandoned_cart", 1)
    assert journey.trigger.inactivity == timedelta(hours=1)
    assert journey.entry is not None and journey.entry.when == "cart.total > 0"
    assert journey.conversion_window == timedelta(days=3)
    first, wait_for, wait, last = journey.steps
    assert isinstance(first, SendStep) and (first.send.template, first.send.id) == (
        "reminder",
        "r1",
    )
    assert isinstance(wait_for, WaitForStep)
    assert (wait_for.wait_for.event, wait_for.wait_for.message_id) == ("clicked", "r1")
    assert wait_for.wait_for.within == timedelta(hours=24)
    then_wait, then_send = wait_for.then
    assert isinstance(then_wait, WaitStep) and then_wait.wait == timedelta(hours=12)
    assert isinstance(then_send, SendStep)
    assert (then_send.send.template, then_send.send.id) == ("still_thinking", "r2")
    (else_send,) = wait_for.else_
    assert isinstance(else_send, SendStep)
    assert (else_send.send.template, else_send.send.id) == ("nudge", "r2b")
    assert isinstance(wait, WaitStep) and wait.wait == timedelta(hours=48)
    assert isinstance(last, SendStep) and (last.send.template, last.send.id) == (
        "last_chance",
        "r3",
    )


def test_shipped_abandoned_cart_v2_adds_sms_staff_alerts_and_quiet_hours() -> None:
    files = read_journeys(REPO_JOURNEYS, channels=frozenset(Channel))
    journey = files.journey("abandoned_cart").release(2).definition

    assert journey.quiet_hours is not None
    assert (journey.quiet_hours.from_, journey.quiet_hours.to) == ("21:00", "09:00")
    assert journey.when_capped == WhenCapped.DEFER
    assert journey.on_suppression == OnSuppression.CONTINUE
    assert journey.sms_max_segments == 3
    first, alert, wait_for, wait, last = journey.steps
    assert isinstance(first, SendStep) and first.send.channels == [Channel.EMAIL]
    assert isinstance(alert, BranchStep) and alert.branch == "cart.total >= 5000"
    (webhook,) = alert.then
    assert isinstance(webhook, SendStep)
    assert (webhook.send.channels, webhook.send.target, webhook.send.template) == (
        [Channel.WEBHOOK],
        "staff",
        None,
    )
    assert isinstance(wait_for, WaitForStep) and wait_for.wait_for.message_id == "r1"
    (nudge,) = wait_for.else_
    assert isinstance(nudge, SendStep)
    assert (nudge.send.channels, nudge.send.template) == ([Channel.SMS, Channel.EMAIL], "nudge")
    assert isinstance(wait, WaitStep) and isinstance(last, SendStep)


def test_shipped_releases_hold_the_parts_their_channels_need() -> None:
    journey = read_journeys(REPO_JOURNEYS, channels=frozenset(Channel)).journey("abandoned_cart")

    v1 = journey.release(1).templates
    v2 = journey.release(2).templates
    assert "nudge/en.html" in v1 and "nudge/en.sms" not in v1
    assert {"nudge/en.sms", "nudge/tr.sms", "nudge/en.html", "nudge/tr.txt"} <= set(v2)
    assert "reminder/en.sms" not in v2
    assert "_unsubscribe.txt" in v1 and "_unsubscribe.txt" in v2


def test_a_shop_listed_by_two_journeys_is_reported_and_the_first_wins(tmp_path: Path) -> None:
    write_journey(tmp_path, "alpha", folder={"shops": ["s1"]})
    write_journey(tmp_path, "beta", folder={"shops": ["s1"]})
    catalog = load(tmp_path)

    assert problems_of(catalog) == [
        ("journey.yaml", "shops", "shop 's1' is already served by journey 'alpha'")
    ]


def test_a_missing_journeys_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    catalog = load(tmp_path / "nope")

    assert problems_of(catalog)[0] == ("nope", None, "the journeys folder does not exist")
    with pytest.raises(JourneyNotFound):
        catalog.journey("shop_journey")


def test_a_release_of_an_unknown_version_or_journey_is_not_found(tmp_path: Path) -> None:
    write_journey(tmp_path)
    catalog = load(tmp_path)

    with pytest.raises(JourneyNotFound, match="has no version 4 \\(valid versions: v1\\)"):
        catalog.journey("shop_journey").release(4)
    with pytest.raises(JourneyNotFound, match="no journey 'other'"):
        catalog.journey("other")


def test_journey_yaml_with_unknown_keys_is_reported(tmp_path: Path) -> None:
    write_journey(tmp_path, folder={"activ": 1})
    catalog = load(tmp_path)

    assert problems_of(catalog) == [("journey.yaml", None, "unknown key 'activ'")]


def test_stray_yaml_files_and_unknown_template_files_are_reported(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    (journey_dir / "v2.yml").write_text("journey: x\n", encoding="utf-8")
    write_templates(journey_dir, {"reminder/en.htm": "<p>hi</p>"})
    catalog = load(tmp_path)

    assert problems_of(catalog) == [
        ("v2.yml", None, "not a version file: name versions v1.yaml, v2.yaml, ..."),
        (
            "en.htm",
            None,
            "unexpected file: templates are <template>/<lang>.<part> (email: .subject, .html, "
            ".txt; sms: .sms; push: .push_title, .push), shared partials _<name>.html or "
            "_<name>.txt",
        ),
    ]


def test_a_release_holds_exactly_the_templates_its_messages_use(tmp_path: Path) -> None:
    steps = [
        {"send": {"template": "reminder", "id": "r1"}},
        {
            "wait_for": {"opened": "r1", "within": "1d"},
            "else": [{"send": {"template": "nudge", "id": "r2"}}],
        },
    ]
    templates = templates_for("reminder", "nudge", "unused", locales=("en", "tr"))
    # the layout includes the footer, which includes the address; nothing includes _unused
    templates["_layout.html"] += '{% include "_footer.html" %}'
    templates["_footer.html"] = '<p>bye</p>{% include "_address.html" %}'
    templates["_address.html"] = "<p>Main Street 1</p>"
    templates["_unused.html"] = "<p>old</p>"
    write_journey(tmp_path, versions={1: version(steps=steps)}, templates=templates)
    pinned = load(tmp_path).journey("shop_journey").release(1)

    assert sorted(pinned.templates) == [
        "_address.html",
        "_footer.html",
        "_layout.html",
        *(
            f"{name}/{lang}.{part}"
            for name in ("nudge", "reminder")
            for lang in ("en", "tr")
            for part in ("html", "subject", "txt")
        ),
    ]
    assert sorted(pinned.templates_for("nudge")) == [
        "_address.html",
        "_footer.html",
        "_layout.html",
        *(f"nudge/{lang}.{part}" for lang in ("en", "tr") for part in ("html", "subject", "txt")),
    ]


def test_a_release_holds_the_parts_of_each_messages_channels_only(tmp_path: Path) -> None:
    steps = [
        {"send": {"template": "reminder", "id": "r1"}},
        {"send": {"channel": ["sms", "email"], "template": "nudge", "id": "r2"}},
        {"send": {"channel": "push", "template": "ping", "id": "r3"}},
        {"send": {"channel": "webhook", "target": "crm", "id": "r4"}},
    ]
    everything = SMS + EMAIL + PUSH
    templates = templates_for(
        "reminder", "nudge", "ping", locales=("en", "tr"), channels=everything
    )
    write_journey(tmp_path, versions={1: version(steps=steps)}, templates=templates)
    pinned = load(tmp_path, channels=frozenset(Channel)).journey("shop_journey").release(1)

    def parts(name: str) -> list[str]:
        return sorted(path for path in pinned.templates if path.startswith(f"{name}/"))

    assert parts("reminder") == [
        f"reminder/{lang}.{part}" for lang in ("en", "tr") for part in ("html", "subject", "txt")
    ]
    assert parts("nudge") == [
        f"nudge/{lang}.{part}"
        for lang in ("en", "tr")
        for part in ("html", "sms", "subject", "txt")
    ]
    assert parts("ping") == [
        f"ping/{lang}.{part}" for lang in ("en", "tr") for part in ("push", "push_title")
    ]
    assert pinned.templates_for(None) == {}


def test_a_part_for_another_channel_leaves_existing_pins_unchanged(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    before = load(tmp_path).journey("shop_journey").release(1).id

    write_templates(journey_dir, message_files("reminder", channels=SMS))

    assert load(tmp_path).journey("shop_journey").release(1).id == before


def test_the_release_id_is_stable_for_the_same_files(tmp_path: Path) -> None:
    write_journey(tmp_path / "a")
    write_journey(tmp_path / "b")

    def release_id(root: Path) -> str:
        return load(root).journey("shop_journey").release(1).id

    assert release_id(tmp_path / "a") == release_id(tmp_path / "b")


def test_a_new_shared_file_leaves_existing_releases_unchanged(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    before = load(tmp_path).journey("shop_journey").release(1).id

    write_templates(journey_dir, {"_footer.html": "<p>for the next version</p>"})

    assert load(tmp_path).journey("shop_journey").release(1).id == before


def test_a_shared_file_named_at_render_time_keeps_every_shared_file(tmp_path: Path) -> None:
    templates = templates_for("reminder")
    templates["reminder/en.txt"] += '{% include "_" ~ "sig.txt" %}'
    templates["_sig.txt"] = "-- the shop"
    templates["_other.txt"] = "unused, but who knows"
    write_journey(tmp_path, templates=templates)

    release = load(tmp_path).journey("shop_journey").release(1)

    assert {"_sig.txt", "_other.txt", "_layout.html"} <= set(release.templates)
