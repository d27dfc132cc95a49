"""Loading journeys: active versions, routing by shop, reloading, pinning."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from journey_schema.catalog import JourneyCatalog
from journey_schema.errors import JourneyNotFound
from journey_schema.models import BranchStep, OnSuppression, SendStep, WaitForStep, WaitStep
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
    write_version,
)
from workflows.payloads import Channel, WhenCapped


def _touch_later(path: Path) -> None:
    """Move mtime forward so a change is visible even on coarse-grained file systems."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


# --- the shipped journeys ---------------------------------------------------------------


def test_shipped_journeys_load_without_problems() -> None:
    catalog = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart")

    assert catalog.problems == []
    assert sorted(catalog.journeys) == ["abandoned_cart", "demo"]


def test_shipped_abandoned_cart_is_the_three_touch_flow() -> None:
    catalog = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart")
    journey = catalog.pin("any-shop").definition

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
    catalog = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart")
    journey = catalog.pin_version("abandoned_cart", 2).definition

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


def test_v1_stays_active_until_journey_yaml_names_v2() -> None:
    everything = frozenset(Channel)
    catalog = JourneyCatalog.load(
        REPO_JOURNEYS, default_journey="abandoned_cart", channels=everything
    )

    assert catalog.problems == []
    assert catalog.journeys["abandoned_cart"].settings.active == 1
    assert catalog.pin("any-shop").definition.version == 1
    assert sorted(catalog.journeys["abandoned_cart"].versions) == [1, 2]


def test_shipped_pins_hold_the_parts_their_channels_need() -> None:
    catalog = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart")

    v1 = catalog.pin_version("abandoned_cart", 1).templates
    v2 = catalog.pin_version("abandoned_cart", 2).templates
    assert "nudge/en.html" in v1 and "nudge/en.sms" not in v1
    assert {"nudge/en.sms", "nudge/tr.sms", "nudge/en.html", "nudge/tr.txt"} <= set(v2)
    assert "reminder/en.sms" not in v2
    assert "_unsubscribe.txt" in v1 and "_unsubscribe.txt" in v2


def test_demo_shop_gets_the_fast_demo_journey() -> None:
    catalog = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart")

    trigger = catalog.trigger_for("demo")
    assert (trigger.journey, trigger.inactivity) == ("demo", timedelta(seconds=5))
    steps = catalog.pin("demo").definition.steps
    assert not any(isinstance(step, BranchStep) for step in steps)
    assert catalog.trigger_for("someone-else").journey == "abandoned_cart"


# --- routing ------------------------------------------------------------------------------


def test_a_journey_serves_the_shops_it_lists_and_the_default_serves_the_rest(
    tmp_path: Path,
) -> None:
    write_journey(tmp_path, "default_flow")
    write_journey(tmp_path, "vip_flow", folder={"shops": ["vip-shop"]})
    catalog = load(tmp_path, default_journey="default_flow")

    assert catalog.problems == []
    assert catalog.trigger_for("vip-shop").journey == "vip_flow"
    assert catalog.pin("vip-shop").definition.journey == "vip_flow"
    assert catalog.trigger_for("other-shop").journey == "default_flow"


def test_a_shop_listed_by_two_journeys_is_reported_and_the_first_wins(tmp_path: Path) -> None:
    write_journey(tmp_path, "alpha", folder={"shops": ["s1"]})
    write_journey(tmp_path, "beta", folder={"shops": ["s1"]})
    catalog = load(tmp_path, default_journey="alpha")

    assert problems_of(catalog) == [
        ("journey.yaml", "shops", "shop 's1' is already served by journey 'alpha'")
    ]
    assert catalog.trigger_for("s1").journey == "alpha"


def test_a_missing_default_journey_is_reported_and_lookups_say_so(tmp_path: Path) -> None:
    write_journey(tmp_path, "something")
    catalog = load(tmp_path, default_journey="abandoned_cart")

    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path.as_posix()}: the default journey 'abandoned_cart' does not exist"
    ]
    with pytest.raises(JourneyNotFound, match="no journey 'abandoned_cart'"):
        catalog.trigger_for("shop-1")


def test_a_missing_journeys_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    catalog = load(tmp_path / "nope")

    assert problems_of(catalog)[0] == ("nope", None, "the journeys folder does not exist")
    with pytest.raises(JourneyNotFound):
        catalog.pin("shop-1")


# --- active versions ---------------------------------------------------------------------


def test_the_highest_valid_version_is_active_by_default(tmp_path: Path) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2)})
    catalog = load(tmp_path)

    assert catalog.pin("shop-1").definition.version == 2


def test_journey_yaml_can_keep_an_older_version_active(tmp_path: Path) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2)}, folder={"active": 1})
    catalog = load(tmp_path)

    assert catalog.problems == []
    assert catalog.pin("shop-1").definition.version == 1
    assert catalog.pin_version("shop_journey", 2).definition.version == 2


def test_an_invalid_highest_version_is_refused_and_the_previous_one_serves(
    tmp_path: Path,
) -> None:
    broken = version(number=2, trigger={"inactivity": "soon"})
    write_journey(tmp_path, versions={1: version(), 2: broken})
    catalog = load(tmp_path)

    assert catalog.pin("shop-1").definition.version == 1
    assert problems_of(catalog) == [
        (
            "v2.yaml",
            "trigger.inactivity",
            "malformed duration 'soon': write a number and a unit (s, m, h, d, w), "
            "e.g. 30m, 1h, 1h30m, 2d",
        ),
        ("v2.yaml", None, "v2 is refused; serving v1 instead"),
    ]
    with pytest.raises(JourneyNotFound, match="version 2 of journey 'shop_journey' is invalid"):
        catalog.pin_version("shop_journey", 2)


def test_an_invalid_declared_active_version_falls_back_to_the_highest_valid(
    tmp_path: Path,
) -> None:
    broken = version(number=2, steps=[{"sleep": "1h"}])
    write_journey(
        tmp_path, versions={1: version(), 2: broken, 3: version(number=3)}, folder={"active": 2}
    )
    catalog = load(tmp_path)

    assert catalog.pin("shop-1").definition.version == 3
    assert ("journey.yaml", "active", "v2 is invalid; serving v3 instead") in problems_of(catalog)


def test_a_declared_active_version_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    write_journey(tmp_path, folder={"active": 7})
    catalog = load(tmp_path)

    assert problems_of(catalog) == [
        ("journey.yaml", "active", "v7 does not exist; serving v1 instead")
    ]
    assert catalog.pin("shop-1").definition.version == 1


def test_a_journey_without_any_valid_version_serves_nothing(tmp_path: Path) -> None:
    write_journey(tmp_path, versions={1: version(trigger={})})
    catalog = load(tmp_path)

    assert ("v1.yaml", None, "v1 is refused; no version of it is served") in problems_of(catalog)
    with pytest.raises(JourneyNotFound, match="has no valid version"):
        catalog.trigger_for("shop-1")


def test_pin_version_of_an_unknown_version_or_journey_is_not_found(tmp_path: Path) -> None:
    write_journey(tmp_path)
    catalog = load(tmp_path)

    with pytest.raises(JourneyNotFound, match="has no version 4 \\(valid versions: v1\\)"):
        catalog.pin_version("shop_journey", 4)
    with pytest.raises(JourneyNotFound, match="no journey 'other'"):
        catalog.pin_version("other", 1)


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


# --- reloading ---------------------------------------------------------------------------


def test_reload_if_changed_is_false_when_nothing_changed(tmp_path: Path) -> None:
    write_journey(tmp_path)
    catalog = load(tmp_path)

    assert catalog.reload_if_changed() is False


def test_reload_picks_up_a_new_version_file(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    catalog = load(tmp_path)
    assert catalog.pin("shop-1").definition.version == 1

    write_version(journey_dir, 2, version(number=2, trigger={"inactivity": "2h"}))

    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1").definition.version == 2
    assert catalog.trigger_for("shop-1").inactivity == timedelta(hours=2)
    assert catalog.reload_if_changed() is False


def test_reload_notices_a_removed_file_and_an_edited_template(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path, versions={1: version(), 2: version(number=2)})
    catalog = load(tmp_path)

    (journey_dir / "v2.yaml").unlink()
    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1").definition.version == 1

    template = journey_dir / "templates" / "reminder" / "en.txt"
    changed = "changed {{ checkout_url }} {{ unsubscribe_url }}"
    template.write_text(changed, encoding="utf-8")
    _touch_later(template)
    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1").templates["reminder/en.txt"] == changed


def test_a_version_broken_while_running_is_refused_on_reload_without_raising(
    tmp_path: Path,
) -> None:
    journey_dir = write_journey(tmp_path, versions={1: version(), 2: version(number=2)})
    catalog = load(tmp_path)

    write_version(journey_dir, 2, "journey: shop_journey\nversion: 2\nsteps: [\n")
    _touch_later(journey_dir / "v2.yaml")

    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1").definition.version == 1
    assert problems_of(catalog)[0][0] == "v2.yaml"


def test_a_journey_broken_while_running_keeps_serving_its_last_good_version(
    tmp_path: Path,
) -> None:
    journey_dir = write_journey(tmp_path)
    catalog = load(tmp_path)
    before = catalog.pin("shop-1")

    layout = journey_dir / "templates" / "_layout.html"
    layout.write_text("{{ no_such_variable }}", encoding="utf-8")  # breaks every version
    _touch_later(layout)

    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1") == before
    assert any("still serving v1" in str(problem) for problem in catalog.problems)
    # a worker started now has no last good copy: it refuses the journey
    with pytest.raises(JourneyNotFound):
        load(tmp_path).pin("shop-1")


# --- pinning -----------------------------------------------------------------------------


def test_a_pin_holds_exactly_the_templates_its_messages_use(tmp_path: Path) -> None:
    steps = [
        {"send": {"template": "reminder", "id": "r1"}},
        {
            "wait_for": {"opened": "r1", "within": "1d"},
            "else": [{"send": {"template": "nudge", "id": "r2"}}],
        },
    ]
    templates = templates_for("reminder", "nudge", "unused", locales=("en", "tr"))
    templates["_footer.html"] = "<p>bye</p>"
    write_journey(tmp_path, versions={1: version(steps=steps)}, templates=templates)
    pinned = load(tmp_path).pin("shop-1")

    assert sorted(pinned.templates) == [
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
        "_footer.html",
        "_layout.html",
        *(f"nudge/{lang}.{part}" for lang in ("en", "tr") for part in ("html", "subject", "txt")),
    ]


def test_a_pin_holds_the_parts_of_each_messages_channels_only(tmp_path: Path) -> None:
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
    pinned = load(tmp_path, channels=frozenset(Channel)).pin("shop-1")

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
    catalog = load(tmp_path)
    before = catalog.pin("shop-1").content_hash

    write_templates(journey_dir, message_files("reminder", channels=SMS))

    assert catalog.reload_if_changed() is True
    assert catalog.pin("shop-1").content_hash == before


def test_a_pin_does_not_change_when_files_change_afterwards(tmp_path: Path) -> None:
    journey_dir = write_journey(tmp_path)
    catalog = load(tmp_path)
    pinned = catalog.pin("shop-1")
    before = pinned.model_dump()

    html = journey_dir / "templates" / "reminder" / "en.html"
    html.write_text(html.read_text(encoding="utf-8") + "<p>new</p>", encoding="utf-8")
    _touch_later(html)
    write_version(journey_dir, 2, version(number=2))
    assert catalog.reload_if_changed() is True

    assert pinned.model_dump() == before
    repinned = catalog.pin_version("shop_journey", 1)
    assert repinned.templates["reminder/en.html"].endswith("<p>new</p>")
    assert repinned.content_hash != pinned.content_hash


def test_the_content_hash_is_stable_for_the_same_files(tmp_path: Path) -> None:
    write_journey(tmp_path / "a")
    write_journey(tmp_path / "b")

    assert load(tmp_path / "a").pin("x").content_hash == load(tmp_path / "b").pin("x").content_hash
