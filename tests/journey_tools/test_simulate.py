"""`cartnudge journeys simulate`: personas played through the real journey, as timelines.

The shipped journeys' timelines for every built-in persona are golden files
(tests/journey_tools/golden/<journey>-v<version>/<persona>.txt); after a deliberate change
`CARTNUDGE_RECORD_TIMELINES=1 pytest tests/journey_tools` writes them anew: review the diff.
"""

from __future__ import annotations

import difflib
import io
import json
import os
from pathlib import Path

import pytest

from cli.errors import CommandError
from cli.main import run
from journey_schema.journey_files import load_draft
from journey_tools.personas import BUILT_IN, PersonaError, load_persona
from journey_tools.simulate import simulate
from journey_tools.timeline import EntryKind, Timeline, format_timeline
from settings import Settings
from workflows.payloads import Channel, Outcome

REPO = Path(__file__).resolve().parents[2]
JOURNEYS = REPO / "journeys"
GOLDEN = Path(__file__).parent / "golden"
SHIPPED = [
    ("abandoned_cart", 1),
    ("abandoned_cart", 2),
    ("abandoned_cart", 3),
    ("demo", 1),
    ("demo", 2),
]

Shipped = dict[tuple[str, int], dict[str, Timeline]]


@pytest.fixture(scope="module")
async def shipped() -> Shipped:
    """Every shipped journey version, simulated once for all built-in personas."""
    timelines: Shipped = {}
    for name, version in SHIPPED:
        release = load_draft(JOURNEYS, name, version)
        played = await simulate(release, BUILT_IN)
        timelines[name, version] = {timeline.persona: timeline for timeline in played}
    return timelines


@pytest.mark.parametrize("persona", [persona.name for persona in BUILT_IN])
@pytest.mark.parametrize(("journey", "version"), SHIPPED, ids=[f"{j}-v{v}" for j, v in SHIPPED])
def test_a_shipped_journey_plays_each_persona_as_its_golden_timeline(
    shipped: Shipped, journey: str, version: int, persona: str
) -> None:
    text = format_timeline(shipped[journey, version][persona])
    golden = GOLDEN / f"{journey}-v{version}" / f"{persona}.txt"
    if os.environ.get("CARTNUDGE_RECORD_TIMELINES") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=str(golden.relative_to(REPO)),
            tofile="simulated now",
        )
    )
    assert not diff, f"the timeline changed (CARTNUDGE_RECORD_TIMELINES=1 to accept):\n{diff}"


def test_quiet_hours_defer_the_first_message_to_the_morning_with_the_reason(
    shipped: Shipped,
) -> None:
    night = shipped["abandoned_cart", 2]["night"]
    first = [entry for entry in night.entries if entry.message_id == "r1"]

    assert [entry.kind for entry in first] == [EntryKind.DEFERRED, EntryKind.SENT]
    assert first[0].reason is not None
    assert first[0].reason.startswith("quiet hours 21:00-09:00 in America/Phoenix; deferred to")
    lines = format_timeline(night).splitlines()
    assert any(
        "Mon 03:00  cart 1  steps[0]  email r1 reminder  deferred: quiet hours" in line
        for line in lines
    )
    assert any(
        "+0d 06:00  Mon 09:00  cart 1  steps[0]  email r1 reminder  sent" in line for line in lines
    )


def test_a_second_cart_is_capped_by_the_first_carts_messages(shipped: Shipped) -> None:
    timeline = shipped["abandoned_cart", 1]["second-cart"]
    capped = [
        entry
        for entry in timeline.entries
        if entry.kind == EntryKind.DEFERRED
        and (entry.reason or "").startswith("frequency cap: one email per 16h")
    ]

    assert capped, format_timeline(timeline)
    # said on the customer's clock, like the line's own time
    text = format_timeline(timeline)
    assert "deferred: frequency cap: one email per 16h; until Wed 02:00" in text
    # each cart sends all three of its messages in the end: deferred, never dropped
    assert timeline.outcomes == [Outcome.EXPIRED, Outcome.EXPIRED]
    sent = [
        (entry.cart, entry.message_id) for entry in timeline.entries if entry.kind == EntryKind.SENT
    ]
    assert sorted(sent) == [(1, "r1"), (1, "r2b"), (1, "r3"), (2, "r1"), (2, "r2b"), (2, "r3")]


def test_the_customer_roads_end_journeys_as_the_product_does(shipped: Shipped) -> None:
    v1, v2 = shipped["abandoned_cart", 1], shipped["abandoned_cart", 2]

    assert v1["buys"].outcome == Outcome.RECOVERED
    assert v1["unsubscribes"].outcome == Outcome.UNSUBSCRIBED  # on_suppression: end
    assert v2["unsubscribes"].outcome == Outcome.EXPIRED  # on_suppression: continue
    sms = [entry for entry in v2["sms-only"].entries if entry.kind == EntryKind.SENT]
    assert [(entry.message_id, entry.channels) for entry in sms] == [("r2b", [Channel.SMS])]
    clicked = [entry.message_id for entry in v1["clicks"].entries if entry.kind == EntryKind.SENT]
    assert clicked == ["r1", "r2", "r3"]  # the clicked branch: still_thinking


def test_each_persona_takes_one_arm_of_the_split_and_gets_only_its_messages(
    shipped: Shipped,
) -> None:
    arms = {"reminder": ("r1", "Ayşe, you left something in your cart"), "help": ("h1", None)}
    taken = set()
    for persona, timeline in shipped["abandoned_cart", 3].items():
        splits = [entry for entry in timeline.entries if entry.kind == EntryKind.SPLIT]
        if timeline.outcome == Outcome.HELD_OUT:
            continue
        [split] = splits  # one cart each, one split
        assert (split.step, split.experiment) == ("steps[0]", "first_subject"), persona
        assert split.arm in arms
        taken.add(split.arm)
        first_id = arms[split.arm][0]
        first = next(entry for entry in timeline.entries if entry.message_id == first_id)
        assert first.step == f"steps[0].arms.{split.arm}[0]"
        other_ids = {"r1", "r2", "r2b"} if split.arm == "help" else {"h1", "h2", "h2b"}
        assert not other_ids & {entry.message_id for entry in timeline.entries}, persona
        assert f"steps[0]  split first_subject  arm {split.arm}" in format_timeline(timeline)
    assert taken == {"reminder", "help"}  # the eight personas see both subjects
    help_subjects = [
        entry.subject
        for timeline in shipped["abandoned_cart", 3].values()
        for entry in timeline.entries
        if entry.message_id == "h1" and entry.kind == EntryKind.SENT
    ]
    assert help_subjects and set(help_subjects) == {"Can we help with your order?"}


def test_a_held_out_persona_is_sent_nothing_and_watched_for_the_whole_window(
    shipped: Shipped,
) -> None:
    held_out = [
        timeline
        for timeline in shipped["abandoned_cart", 3].values()
        if Outcome.HELD_OUT in timeline.outcomes
    ]

    assert [timeline.persona for timeline in held_out] == ["second-cart"]
    [timeline] = held_out
    assert timeline.outcomes == [Outcome.HELD_OUT, Outcome.HELD_OUT]  # the customer, every cart
    kinds = [entry.kind for entry in timeline.entries]
    assert EntryKind.SENT not in kinds and EntryKind.SPLIT not in kinds
    assert kinds.count(EntryKind.HELD_OUT) == 2
    text = format_timeline(timeline)
    assert (
        "+0d 00:00  Mon 10:00  cart 1  held out: nothing is sent (the journey's 10% holdout; "
        "an order within 6d12h counts as its conversion)" in text
    )
    # 36h of journey (24h for a click, then 12h), 48h, and the 3d conversion window
    assert "+6d 12:00  Sun 22:00  cart 1  outcome: held_out (0 sent)" in text


async def test_a_persona_file_is_played_as_written(tmp_path: Path) -> None:
    file = tmp_path / "late.yaml"
    file.write_text(
        "name: late-clicker\n"
        "description: clicks the first email 20 hours later, from Istanbul\n"
        "customer: {timezone: Europe/Istanbul, locale: tr-TR, first_name: Mehmet}\n"
        "carts: [{total: 250.00, currency: EUR}]\n"
        "actions:\n"
        "  - {do: click, message: 1, after: 20h}\n",
        encoding="utf-8",
    )
    persona = load_persona(file)

    [timeline] = await simulate(load_draft(JOURNEYS, "abandoned_cart", 1), [persona])

    text = format_timeline(timeline)
    assert timeline.timezone == "Europe/Istanbul"
    assert "+0d 00:00  Mon 13:00  cart 1  steps[0]  email r1 reminder  sent" in text
    assert "+0d 20:00  Tue 09:00  cart 1  customer clicks r1" in text
    sent = [entry for entry in timeline.entries if entry.kind == EntryKind.SENT]
    assert [entry.message_id for entry in sent] == ["r1", "r2", "r3"]
    assert all(entry.subject and "Mehmet" in entry.subject for entry in sent[:1]), text


@pytest.mark.parametrize(
    ("yaml", "problem"),
    [
        (
            "name: x\ndescription: d\nactions: [{do: click, message: 1, after: 2x}]\n",
            "actions[0].after: malformed duration '2x': write a number and a unit"
            " (s, m, h, d, w), e.g. 30m, 1h, 1h30m, 2d",
        ),
        (
            "name: x\ndescription: d\nactions: [{do: click, mesage: 1}]\n",
            "actions[0]: unknown key 'mesage'",
        ),
        (
            "name: x\ndescription: d\ncustomer: {timezone: Mars/Olympus}\n",
            "customer.timezone: unknown timezone 'Mars/Olympus'"
            " (use an IANA name such as Europe/Istanbul)",
        ),
        ("description: d\n", "missing required key 'name'"),
    ],
)
async def test_a_bad_persona_file_is_refused_with_the_key_and_the_problem(
    tmp_path: Path, yaml: str, problem: str
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(yaml, encoding="utf-8")

    with pytest.raises(PersonaError) as refused:
        load_persona(file)
    assert str(refused.value) == f"{file.as_posix()}: {problem}"

    settings = _cli_settings(tmp_path)
    with pytest.raises(CommandError) as command_error:
        await _cartnudge(settings, "journeys", "simulate", "demo", "1", "--persona", str(file))
    assert str(command_error.value) == f"{file.as_posix()}: {problem}"


async def test_json_output_holds_each_timeline_entry_by_entry(tmp_path: Path) -> None:
    out = await _cartnudge(
        _cli_settings(tmp_path), "journeys", "simulate", "demo", "v1", "--persona", "buys", "--json"
    )

    document = json.loads(out)
    assert set(document) == {"journey", "version", "seconds", "timelines"}
    assert (document["journey"], document["version"]) == ("demo", 1)
    [timeline] = document["timelines"]
    assert timeline["persona"] == "buys"
    assert timeline["outcomes"] == ["recovered"]
    kinds = [entry["kind"] for entry in timeline["entries"]]
    assert kinds[0] == "abandoned" and kinds[-1] == "outcome"
    sent = next(entry for entry in timeline["entries"] if entry["kind"] == "sent")
    assert {key: sent[key] for key in ("cart", "step", "channels", "message_id", "template")} == {
        "cart": 1,
        "step": "steps[0]",
        "channels": ["email"],
        "message_id": "r1",
        "template": "reminder",
    }
    assert sent["subject"] and sent["at"].startswith("2100-06-07T10:00")


async def test_json_output_names_the_experiment_and_the_arm_of_a_split(tmp_path: Path) -> None:
    out = await _cartnudge(
        _cli_settings(tmp_path),
        "journeys",
        "simulate",
        "demo",
        "2",
        "--persona",
        "ignores",
        "--json",
    )

    [timeline] = json.loads(out)["timelines"]
    [split] = [entry for entry in timeline["entries"] if entry["kind"] == "split"]
    assert (split["step"], split["experiment"]) == ("steps[0]", "first_wait")
    assert split["arm"] in {"quick", "later"}
    first = next(entry for entry in timeline["entries"] if entry["kind"] == "sent")
    assert first["step"] == "steps[1]"


async def test_text_output_ends_with_how_long_the_simulation_took(tmp_path: Path) -> None:
    out = await _cartnudge(
        _cli_settings(tmp_path), "journeys", "simulate", "demo", "1", "--persona", "ignores"
    )

    assert out.startswith("persona ignores: ignores every message\n")
    assert out.splitlines()[-1].startswith("simulated 1 persona in ")


async def test_an_unknown_version_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        CommandError, match=r"journey 'demo' has no version 9 \(valid versions: v1, v2, v3\)"
    ):
        await _cartnudge(_cli_settings(tmp_path), "journeys", "simulate", "demo", "9")


def _cli_settings(tmp_path: Path) -> Settings:
    return Settings.model_construct(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/cli.db", journeys_dir=JOURNEYS
    )


async def _cartnudge(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    await run(argv, settings=settings, out=out)
    return out.getvalue()
