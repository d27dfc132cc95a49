"""`cartnudge journeys diff`: a marketer reads what changes between two versions."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from cli.errors import CommandError
from cli.main import run
from journey_schema.journey_files import load_draft
from journey_tools.diff import timeline_changes
from journey_tools.personas import BUILT_IN
from journey_tools.step_diff import step_paths
from settings import Settings
from tests.unit.journey_files import (
    REPO_JOURNEYS,
    message_files,
    templates_for,
    version,
    write_journey,
    write_version,
)

SMS_OR_EMAIL_NUDGE = "send nudge (id r2b): channel email → sms, else email"


async def journeys_diff(journeys_dir: Path, *argv: str, journey: str = "shop_journey") -> str:
    settings = Settings(journeys_dir=journeys_dir, database_url="sqlite+aiosqlite:///:memory:")
    out = io.StringIO()
    await run(["journeys", "diff", journey, *argv], settings=settings, out=out)
    return out.getvalue()


def section(output: str, title: str) -> list[str]:
    """The lines under one heading (Settings, Steps, Templates, Timelines), stripped."""
    lines = output.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return [line.strip() for line in lines[start:end]]


def journey(root: Path, v1: dict[str, Any], v2: dict[str, Any], **templates: str) -> Path:
    names = ("reminder", "nudge", "last_chance")
    write_journey(
        root,
        versions={1: v1, 2: {**v2, "version": 2}},
        templates={**templates_for(*names), **templates},
    )
    return root


def steps(*items: dict[str, Any]) -> dict[str, Any]:
    return version(steps=list(items))


def send(template: str, message_id: str | None = None, channel: Any = "email") -> dict[str, Any]:
    spec: dict[str, Any] = {"channel": channel, "template": template}
    return {"send": {**spec, "id": message_id} if message_id else spec}


# --- the shipped journey -----------------------------------------------------------------


async def test_shipped_v1_to_v2_says_sms_nudge_quiet_hours_and_staff_alert() -> None:
    output = await journeys_diff(
        REPO_JOURNEYS, "1", "2", "--no-timelines", journey="abandoned_cart"
    )

    assert output.splitlines()[0] == "journey abandoned_cart: v1 → v2"
    assert "~ quiet_hours: none → 21:00–09:00" in section(output, "Settings")
    assert "~ on_suppression: end the journey → continue without that channel" in section(
        output, "Settings"
    )
    # The staff branch is one added step; the wait_for after it moved but did not change.
    assert section(output, "Steps") == [
        "+ steps[1]: added: branch if cart.total >= 5000",
        "then:",
        "send to webhook staff (id staff_alert)",
        f"~ steps[2].else[0] (was steps[1].else[0]): {SMS_OR_EMAIL_NUDGE}",
    ]
    templates = section(output, "Templates")
    assert "+ nudge/en.sms: new template" in templates
    assert "+ nudge/tr.sms: new template" in templates
    assert any(line.startswith("+") and "cart is saved" in line for line in templates)
    assert templates[-1] == "28 template parts unchanged"
    assert section(output, "Timelines") == ["not simulated (--no-timelines)"]


async def test_json_holds_the_same_changes() -> None:
    data = json.loads(
        await journeys_diff(
            REPO_JOURNEYS, "v1", "v2", "--json", "--no-timelines", journey="abandoned_cart"
        )
    )

    assert (data["journey"], data["a"], data["b"]) == ("abandoned_cart", 1, 2)
    assert {s["setting"]: s["after"] for s in data["settings"]}["quiet_hours"] == "21:00–09:00"
    assert [(s["kind"], s["path"], s["was_path"]) for s in data["steps"]] == [
        ("added", "steps[1]", None),
        ("changed", "steps[2].else[0]", "steps[1].else[0]"),
    ]
    assert data["steps"][1]["details"] == ["channel email → sms, else email"]
    assert [(t["kind"], t["path"]) for t in data["templates"]] == [
        ("new template", "nudge/en.sms"),
        ("new template", "nudge/tr.sms"),
    ]
    assert (data["timelines"], data["timelines_note"]) == (None, "not simulated (--no-timelines)")


# --- steps ---------------------------------------------------------------------------------


async def test_a_step_inserted_before_others_is_one_added_step(tmp_path: Path) -> None:
    v1 = steps(send("reminder", "r1"), {"wait": "1d"}, send("nudge", "r2"), {"wait": "1d"})
    v2 = steps(
        {"wait": "30m"}, send("reminder", "r1"), {"wait": "1d"}, send("nudge", "r2"), {"wait": "1d"}
    )

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Steps") == ["+ steps[0]: added: wait 30m"]


async def test_removed_step_and_changed_waits(tmp_path: Path) -> None:
    wait_for = {"wait_for": {"clicked": "r1", "within": "24h"}, "then": [send("nudge", "r2")]}
    v1 = steps(send("reminder", "r1"), {"wait": "1h"}, wait_for, {"wait": "2h"}, {"exit": "done"})
    v2 = steps(
        send("reminder", "r1"),
        {**wait_for, "wait_for": {"clicked": "r1", "within": "48h"}},
        {"wait": "2h"},
        {"exit": "all done"},
    )

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    # The 2h wait is still there: it is the 1h wait that went, not "1h → 2h" and a removal.
    assert section(output, "Steps") == [
        "- steps[1]: removed: wait 1h",
        "~ steps[1] (was steps[2]): wait_for clicked r1 within 24h → 48h",
        "~ steps[3] (was steps[4]): exit reason done → all done",
    ]


async def test_a_wait_that_changed_reads_as_before_and_after(tmp_path: Path) -> None:
    v1 = steps(send("reminder", "r1"), {"wait": "1h"}, send("nudge", "r2"))
    v2 = steps(send("reminder", "r1"), {"wait": "2h"}, send("nudge", "r2"))

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Steps") == ["~ steps[1]: wait 1h → 2h"]


async def test_channel_condition_and_steps_inside_a_fork(tmp_path: Path) -> None:
    nudge = ["nudge", "r2"]
    v1 = steps(
        send("reminder", "r1"),
        {"branch": "cart.total >= 500", "then": [send(*nudge)], "else": [{"wait": "1h"}]},
    )
    v2 = steps(
        send("reminder", "r1", channel=["sms", "email"]),
        {
            "branch": "cart.total >= 1000",
            "then": [send(*nudge), {"wait": "1d"}, send("last_chance", "r3")],
            "else": [],
        },
    )
    sms = {f"{name}/en.sms": "Your cart: {{ checkout_url }}" for name in ("reminder",)}

    output = await journeys_diff(journey(tmp_path, v1, v2, **sms), "1", "2", "--no-timelines")

    assert section(output, "Steps") == [
        "~ steps[0]: send reminder (id r1): channel email → sms, else email",
        "~ steps[1]: branch if cart.total >= 500 → cart.total >= 1000",
        "+ steps[1].then[1]: added: wait 24h",
        "+ steps[1].then[2]: added: send last_chance by email (id r3)",
        "- steps[1].else[0]: removed: wait 1h",
    ]


async def test_a_message_moved_into_a_fork_is_moved_not_removed_and_added(
    tmp_path: Path,
) -> None:
    v1 = steps(send("reminder", "r1"), {"wait": "1d"}, send("nudge", "r2"))
    v2 = steps(
        send("reminder", "r1"),
        {"wait": "1d"},
        {"branch": "cart.total >= 50", "then": [send("nudge", "r2", channel=["sms", "email"])]},
    )
    sms = {"nudge/en.sms": "Your cart: {{ checkout_url }}"}

    output = await journeys_diff(journey(tmp_path, v1, v2, **sms), "1", "2", "--no-timelines")

    assert section(output, "Steps") == [
        "+ steps[2]: added: branch if cart.total >= 50",
        "then:",
        "send nudge by sms, else email (id r2)",
        "~ steps[2].then[0] (moved from steps[2]):"
        " send nudge (id r2): channel email → sms, else email",
    ]


async def test_version_settings_in_the_files_words(tmp_path: Path) -> None:
    v1 = version(entry={"when": "cart.total > 0"})
    v2 = version(
        trigger={"inactivity": "2h"},
        conversion_window="7d",
        quiet_hours={"from": "22:00", "to": "08:00"},
        when_capped="skip",
        sms_max_segments=2,
    )

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Settings") == [
        "~ trigger.inactivity: 1h → 2h",
        "~ entry.when: cart.total > 0 → none (every cart)",
        "~ conversion_window: 3d → 1w",
        "~ quiet_hours: none → 22:00–08:00",
        "~ when_capped: defer → skip",
        "~ sms_max_segments: 3 → 2",
    ]
    assert section(output, "Steps") == ["no changes"]


def split(arms: dict[str, tuple[int, list[dict[str, Any]]]], **spec: Any) -> dict[str, Any]:
    """A split of experiment first_wait (unless named) with {arm: (weight, steps)}."""
    written = {name: {"weight": weight, "steps": inner} for name, (weight, inner) in arms.items()}
    return {"split": {"experiment": "first_wait", **spec, "arms": written}}


async def test_a_split_says_its_arms_weights_control_and_decide_rule(tmp_path: Path) -> None:
    v1 = steps(
        split(
            {"fast": (50, [{"wait": "1h"}]), "slow": (50, [{"wait": "12h"}])},
            decide={"metric": "conversion", "min_carts": 200},
        ),
        send("reminder", "r1"),
    )
    v2 = steps(
        split(
            {"slow": (40, [{"wait": "12h"}]), "fast": (30, [{"wait": "2h"}]), "now": (30, [])},
            assign="cart",
            decide={"metric": "revenue_per_cart", "min_carts": 500},
        ),
        send("reminder", "r1"),
    )

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Steps") == [
        "~ steps[0]: split first_wait: arm now added (30%), weight of slow 50% → 40%, "
        "weight of fast 50% → 30%, control fast → slow, assign customer → cart, "
        "decide conversion after 200 carts an arm → revenue_per_cart after 500 carts an arm",
        "~ steps[0].arms.fast[0]: wait 1h → 2h",
    ]


async def test_an_arm_added_or_removed_is_its_steps_added_or_removed(tmp_path: Path) -> None:
    v1 = steps(
        split({"email": (50, [send("reminder", "r1")]), "sms": (50, [send("nudge", "n1")])}),
    )
    v2 = steps(
        split({"email": (70, [send("reminder", "r1")]), "late": (30, [{"wait": "2h"}])}),
        send("nudge", "n1"),
    )

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Steps") == [
        "~ steps[0]: split first_wait: arm sms removed (was 50%), arm late added (30%), "
        "weight of email 50% → 70%",
        "+ steps[0].arms.late[0]: added: wait 2h",
        "~ steps[1] (moved from steps[0].arms.sms[0]): send nudge by email (id n1)",
    ]


async def test_a_split_added_around_the_first_message_and_a_holdout(tmp_path: Path) -> None:
    v1 = steps(send("reminder", "r1"), {"wait": "1d"})
    v2 = {
        **steps(
            split(
                {"now": (50, [send("reminder", "r1")]), "later": (50, [{"wait": "1h"}])},
                experiment="first_wait",
            ),
            {"wait": "1d"},
        ),
        "holdout": "10%",
    }

    output = await journeys_diff(journey(tmp_path, v1, v2), "1", "2", "--no-timelines")

    assert section(output, "Settings") == ["~ holdout: none → 10% held out"]
    assert section(output, "Steps") == [
        "+ steps[0]: added: split first_wait (now 50%, later 50%)",
        "arm now (50%):",
        "send reminder by email (id r1)",
        "arm later (50%):",
        "wait 1h",
        "~ steps[0].arms.now[0] (moved from steps[0]): send reminder by email (id r1)",
    ]


async def test_shipped_v1_to_v3_puts_the_first_reminder_in_the_control_arm() -> None:
    data = json.loads(
        await journeys_diff(
            REPO_JOURNEYS, "1", "3", "--json", "--no-timelines", journey="abandoned_cart"
        )
    )

    assert {s["setting"]: s["after"] for s in data["settings"]}["holdout"] == "10% held out"
    moved = {s["was_path"]: s["path"] for s in data["steps"] if s["kind"] == "moved"}
    assert moved == {
        "steps[0]": "steps[0].arms.reminder[0]",
        "steps[1].then[1]": "steps[0].arms.reminder[1].then[1]",
        "steps[1].else[0]": "steps[0].arms.reminder[1].else[0]",
    }
    assert ("added", "steps[0]") in [(s["kind"], s["path"]) for s in data["steps"]]
    assert [t["path"] for t in data["templates"] if t["kind"] == "new template"] == [
        f"reminder_help/{locale}.{part}"
        for locale in ("en", "tr")
        for part in ("html", "subject", "txt")
    ]


# --- templates -----------------------------------------------------------------------------


async def test_a_reworded_message_shows_its_text_diff_against_the_template_it_replaces(
    tmp_path: Path,
) -> None:
    v1 = steps(send("reminder", "r1"), {"wait": "1d"}, send("nudge", "r2"))
    v2 = steps(send("reminder_v2", "r1"), {"wait": "1d"})
    reworded = message_files(
        "reminder_v2",
        txt="You left something behind: {{ checkout_url }}\nUnsubscribe: {{ unsubscribe_url }}",
    )

    output = await journeys_diff(journey(tmp_path, v1, v2, **reworded), "1", "2", "--no-timelines")

    assert "~ steps[0]: send reminder (id r1): template reminder → reminder_v2" in section(
        output, "Steps"
    )
    templates = section(output, "Templates")
    assert templates[:2] == [
        "- nudge/en.html: no longer used",
        "- nudge/en.subject: no longer used",
    ]
    changed = templates.index("~ reminder_v2/en.subject (compared with reminder/en.subject):")
    assert templates[changed + 1 : changed + 6] == [
        "--- reminder/en.subject",
        "+++ reminder_v2/en.subject",
        "@@ -1 +1 @@",
        "-reminder for {{ shop }}",
        "+reminder_v2 for {{ shop }}",
    ]
    changed = templates.index("~ reminder_v2/en.txt (compared with reminder/en.txt):")
    assert templates[changed + 4 : changed + 7] == [
        "-{{ total }} {{ checkout_url }}",
        "+You left something behind: {{ checkout_url }}",
        "Unsubscribe: {{ unsubscribe_url }}",  # unchanged context (its leading space stripped)
    ]
    # The layout and the HTML part read the same in both versions.
    assert templates[-1] == "2 template parts unchanged"


async def test_a_part_the_new_version_starts_to_use_is_a_new_template_with_its_text(
    tmp_path: Path,
) -> None:
    journey(tmp_path, version(), version())
    v1_output = await journeys_diff(tmp_path, "1", "2", "--no-timelines")
    assert section(v1_output, "Templates") == ["4 template parts unchanged"]

    # A version keeps the text it pinned: here, the new version pins a new message part.
    write_version(
        tmp_path / "shop_journey",
        2,
        {**steps(send("reminder", "r1"), {"wait": "1d"}, send("nudge", "r2")), "version": 2},
    )
    output = await journeys_diff(tmp_path, "1", "2", "--no-timelines")

    assert section(output, "Templates")[:3] == [
        "+ nudge/en.html: new template",
        "--- /dev/null",
        "+++ nudge/en.html",
    ]


def test_timelines_compare_event_by_event_with_steps_named_as_in_the_new_version() -> None:
    # v2 inserted a step at the top: v1's steps[1] is v2's steps[2].
    paths = {"steps[0]": "steps[1]", "steps[1]": "steps[2]", "steps[1].else[0]": "steps[2].else[0]"}
    before = {
        "ignores": "0m  steps[0]  sent reminder\n1d  steps[1].else[0]  sent nudge\n",
        "buys": "0m  steps[0]  sent reminder\n",
    }
    after = {
        "ignores": "0m  steps[1]  sent reminder\n2d  steps[2].else[0]  sent nudge\n",
        "buys": "0m  steps[1]  sent reminder\n",
    }

    ignores, buys = timeline_changes(before, after, label_a="v1", label_b="v2", paths=paths)

    assert (buys.persona, buys.same, buys.diff) == ("buys", True, [])
    assert ignores.persona == "ignores" and not ignores.same
    assert ignores.diff[3:] == [
        " 0m  steps[1]  sent reminder",
        "-1d  steps[2].else[0]  sent nudge",
        "+2d  steps[2].else[0]  sent nudge",
    ]


def test_v1_steps_are_named_by_their_place_in_v2() -> None:
    v1, v2 = (load_draft(REPO_JOURNEYS, "abandoned_cart", number) for number in (1, 2))

    assert step_paths(v1.definition, v2.definition) == {
        "steps[0]": "steps[0]",
        "steps[1]": "steps[2]",
        "steps[1].then[0]": "steps[2].then[0]",
        "steps[1].then[1]": "steps[2].then[1]",
        "steps[1].else[0]": "steps[2].else[0]",
        "steps[2]": "steps[3]",
        "steps[3]": "steps[4]",
    }


# --- mistakes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "1", "2"], "there is no journey 'nope' in "),
        (
            ["shop_journey", "1", "3"],
            "journey 'shop_journey' has no version 3 (valid versions: v1)",
        ),
        (["shop_journey", "1", "two"], "'two' is not a version: write its number, e.g. 2 (or v2)"),
        (["shop_journey", "2", "1"], "version 2 of journey 'shop_journey' is invalid: "),
    ],
)
async def test_a_mistake_is_one_plain_line(tmp_path: Path, argv: list[str], message: str) -> None:
    journey(tmp_path, version(), {**version(number=2), "steps": [{"wait": "1x"}]})

    with pytest.raises(CommandError) as raised:
        await journeys_diff(tmp_path, *argv[1:], "--no-timelines", journey=argv[0])

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


# --- timelines ------------------------------------------------------------------------------


async def test_shipped_v1_to_v2_timelines_per_persona() -> None:
    output = await journeys_diff(REPO_JOURNEYS, "1", "2", journey="abandoned_cart")

    timelines = section(output, "Timelines")
    personas = [line.split(":")[0][2:] for line in timelines if line[:2] in ("= ", "~ ")]
    assert personas == [persona.name for persona in BUILT_IN]
    # Same messages at the same times, though v2 numbers its steps differently.
    assert "= ignores: same timeline" in timelines
    # Quiet hours: the customer in Phoenix gets the first reminder in the morning instead.
    assert "~ night:" in timelines
    # The customer who only takes SMS now gets the nudge.
    sms_only = timelines[timelines.index("~ sms-only:") : timelines.index("~ night:")]
    assert any(line.startswith("+") and "sms r2b nudge  sent" in line for line in sms_only)
