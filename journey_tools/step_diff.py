"""What changed between two versions' settings and steps, in the words of the version files.

Steps are aligned list by list (`steps`, then each `then` and `else` of a matched fork), so
a step inserted before others shows as one added step, not as every later step changed:

- a send with an `id` matches only the send with the same id (a message is its id);
- any other step matches a step of the same kind (a send without an id, any send
  without one);
- of all alignments the one matching the most steps wins, and among those the one
  matching the most steps that are unchanged (so `wait 1h, ..., wait 2h` against
  `wait 2h` keeps the 2h pair together).

A send with an id that left one list for another (into a fork, say) is reported as moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from journey_schema.durations import format_duration
from journey_schema.models import (
    BranchStep,
    ExitStep,
    JourneyVersion,
    OnSuppression,
    QuietHours,
    SendStep,
    SplitStep,
    Step,
    WaitForStep,
    WaitStep,
)
from journey_schema.walk import send_steps


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"


@dataclass(frozen=True)
class StepChange:
    """One step added, removed, changed or moved; `path` is its place in B (A if removed)."""

    kind: ChangeKind
    path: str
    step: str  # the step in words, as in A unless added: "send nudge by email (id r2b)"
    was_path: str | None = None  # its place in A, when that differs
    summary: str = ""  # a changed or moved step in one line: "wait 1h → 2h"
    details: list[str] = field(default_factory=list)  # each change: "within 24h → 48h"
    contents: list[str] = field(default_factory=list)  # an added/removed fork's inner steps


@dataclass(frozen=True)
class SettingChange:
    setting: str  # as written in the file: "quiet_hours"
    before: str
    after: str


def _duration(value: timedelta) -> str:
    """As marketers write waits: whole hours under three days in hours (24h, 48h), else 3d."""
    if value < timedelta(days=3) and value % timedelta(hours=1) == timedelta(0):
        return f"{value // timedelta(hours=1)}h"
    return format_duration(value)


def describe(step: Step) -> str:
    """One step in words, without its inner steps."""
    if isinstance(step, WaitStep):
        return f"wait {_duration(step.wait)}"
    if isinstance(step, SendStep):
        spec = step.send
        if spec.target is not None:
            words = f"send to webhook {spec.target}"
        else:
            words = f"send {spec.template} by {_channels(step)}"
        return f"{words} (id {spec.id})" if spec.id else words
    if isinstance(step, WaitForStep):
        spec_ = step.wait_for
        return f"wait_for {spec_.event} {spec_.message_id} within {_duration(spec_.within)}"
    if isinstance(step, BranchStep):
        return f"branch if {step.branch}"
    if isinstance(step, SplitStep):
        return f"split {step.split.experiment}"
    return "exit" if step.exit is None else f"exit ({step.exit})"


def _channels(step: SendStep) -> str:
    return ", else ".join(channel.value for channel in step.send.channels)


def _match_key(step: Step) -> tuple[str, str | None]:
    """Steps may be aligned only when these are equal."""
    if isinstance(step, SendStep):
        return ("send", step.send.id)
    return (type(step).__name__, None)


def _header(step: Step) -> Any:
    """A step without its inner steps: equal headers mean nothing changed in the step itself."""
    if isinstance(step, WaitForStep | BranchStep):
        return step.model_dump(exclude={"then", "else_"})
    return step.model_dump()


def _align(a: Sequence[Step], b: Sequence[Step]) -> list[tuple[int | None, int | None]]:
    """Pairs (index in a, index in b) in order; None on one side for a step only in the other."""
    # score[i][j]: the best alignment of a[i:] and b[j:]; a match is worth 2, 3 if unchanged.
    score = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if _match_key(a[i]) == _match_key(b[j]):
                worth = 3 if _header(a[i]) == _header(b[j]) else 2
                best = max(best, score[i + 1][j + 1] + worth)
            score[i][j] = best
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and _match_key(a[i]) == _match_key(b[j]):
            worth = 3 if _header(a[i]) == _header(b[j]) else 2
            if score[i][j] == score[i + 1][j + 1] + worth:
                pairs.append((i, j))
                i, j = i + 1, j + 1
                continue
        # Removals before additions at the same place: "- old, + new" reads naturally.
        if i < len(a) and (j == len(b) or score[i][j] == score[i + 1][j]):
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def _step_details(a: Step, b: Step) -> list[str]:
    """What changed in a matched step itself (its inner steps are compared on their own)."""
    if isinstance(a, WaitStep) and isinstance(b, WaitStep):
        return _changed("", _duration(a.wait), _duration(b.wait))
    if isinstance(a, SendStep) and isinstance(b, SendStep):
        return (
            _changed("channel ", _channels(a), _channels(b))
            + _changed("template ", a.send.template, b.send.template)
            + _changed("webhook target ", a.send.target, b.send.target)
        )
    if isinstance(a, WaitForStep) and isinstance(b, WaitForStep):
        before, after = a.wait_for, b.wait_for
        return _changed(
            "", f"{before.event} {before.message_id}", f"{after.event} {after.message_id}"
        ) + _changed("within ", _duration(before.within), _duration(after.within))
    if isinstance(a, BranchStep) and isinstance(b, BranchStep):
        return _changed("", a.branch, b.branch)
    if isinstance(a, ExitStep) and isinstance(b, ExitStep):
        return _changed("reason ", a.exit, b.exit)
    return []


def _changed(what: str, before: object, after: object) -> list[str]:
    if before == after:
        return []
    return [f"{what}{before or 'none'} → {after or 'none'}"]


def _summary(a: Step, details: list[str]) -> str:
    """A changed step in one line: `wait 1h → 2h`, `send nudge (id r2b): channel ...`."""
    changes = ", ".join(details)
    if isinstance(a, SendStep):
        return f"send {a.send.label}" + (f" (id {a.send.id})" if a.send.id else "") + f": {changes}"
    if isinstance(a, WaitForStep):
        if details[0].startswith("within"):
            return f"wait_for {a.wait_for.event} {a.wait_for.message_id} {changes}"
        return f"wait_for {changes}"
    if isinstance(a, BranchStep):
        return f"branch if {changes}"
    return f"{'wait' if isinstance(a, WaitStep) else 'exit'} {changes}"


def _contents(step: Step, indent: str = "") -> list[str]:
    """The inner steps of a fork, one line each, indented by depth."""
    lines: list[str] = []
    if isinstance(step, WaitForStep | BranchStep):
        for side, steps in (("then", step.then), ("else", step.else_)):
            if steps:
                lines.append(f"{indent}{side}:")
                for inner in steps:
                    lines.append(f"{indent}  {describe(inner)}")
                    lines += _contents(inner, indent + "    ")
    return lines


def _diff_lists(
    a: Sequence[Step], b: Sequence[Step], path_a: str, path_b: str, matched: dict[str, str]
) -> list[StepChange]:
    """The changes from list a to list b; `matched` gets each matched step's path a -> b."""
    changes: list[StepChange] = []
    for i, j in _align(a, b):
        if j is None:
            assert i is not None
            changes.append(
                StepChange(
                    ChangeKind.REMOVED,
                    f"{path_a}[{i}]",
                    describe(a[i]),
                    contents=_contents(a[i]),
                )
            )
            continue
        if i is None:
            changes.append(
                StepChange(
                    ChangeKind.ADDED, f"{path_b}[{j}]", describe(b[j]), contents=_contents(b[j])
                )
            )
            continue
        where_a, where_b = f"{path_a}[{i}]", f"{path_b}[{j}]"
        matched[where_a] = where_b
        details = _step_details(a[i], b[j])
        if details:
            changes.append(
                StepChange(
                    ChangeKind.CHANGED,
                    where_b,
                    describe(a[i]),
                    was_path=where_a if where_a != where_b else None,
                    summary=_summary(a[i], details),
                    details=details,
                )
            )
        step_a, step_b = a[i], b[j]
        if isinstance(step_a, WaitForStep | BranchStep) and isinstance(
            step_b, WaitForStep | BranchStep
        ):
            sides = [("then", step_a.then, step_b.then), ("else", step_a.else_, step_b.else_)]
            for side, inner_a, inner_b in sides:
                changes += _diff_lists(
                    inner_a, inner_b, f"{where_a}.{side}", f"{where_b}.{side}", matched
                )
    return changes


def _sends_under(
    changes: list[StepChange], kind: ChangeKind, version: JourneyVersion
) -> dict[str, tuple[str, StepChange]]:
    """Message id -> (path, change) of every send with an id that is, or is inside, a change."""
    found: dict[str, tuple[str, StepChange]] = {}
    for path, step in send_steps(version.steps):
        for change in changes:
            inside = path == change.path or path.startswith(f"{change.path}.")
            if change.kind is kind and inside and step.send.id:
                found[step.send.id] = (path, change)
    return found


def _pair_moves(
    changes: list[StepChange], a: JourneyVersion, b: JourneyVersion
) -> list[StepChange]:
    """A message (a send with an id) removed in one place and added in another was moved.

    The move is reported where the message now is; a fork added (or removed) around it
    is still reported, with its inner steps.
    """
    removed = _sends_under(changes, ChangeKind.REMOVED, a)
    added = _sends_under(changes, ChangeKind.ADDED, b)
    sends_a, sends_b = dict(send_steps(a.steps)), dict(send_steps(b.steps))
    moved = removed.keys() & added.keys()
    result: list[StepChange] = []
    for change in changes:
        if change.kind is ChangeKind.REMOVED and any(
            removed[key] == (change.path, change) for key in moved
        ):
            continue  # the message itself, not a fork around it: reported as moved
        keys = [key for key in added if key in moved and added[key][1] is change]  # file order
        if not any(added[key][0] == change.path for key in keys):
            result.append(change)  # a fork around moved messages stays an added step
        for key in keys:
            path_a, path_b = removed[key][0], added[key][0]
            step_a = sends_a[path_a]
            details = _step_details(step_a, sends_b[path_b])
            result.append(
                StepChange(
                    ChangeKind.MOVED,
                    path_b,
                    describe(step_a),
                    was_path=path_a,
                    summary=_summary(step_a, details) if details else describe(step_a),
                    details=details,
                )
            )
    return result


def step_changes(a: JourneyVersion, b: JourneyVersion) -> list[StepChange]:
    """Every step added, removed, changed or moved from version a to version b, in file order."""
    return _pair_moves(_diff_lists(a.steps, b.steps, "steps", "steps", {}), a, b)


def step_paths(a: JourneyVersion, b: JourneyVersion) -> dict[str, str]:
    """Path in a -> path in b of every step that is in both (matched, changed or moved)."""
    matched: dict[str, str] = {}
    changes = _pair_moves(_diff_lists(a.steps, b.steps, "steps", "steps", matched), a, b)
    for change in changes:
        if change.kind is ChangeKind.MOVED and change.was_path is not None:
            matched[change.was_path] = change.path
    return matched


def _quiet_hours(value: QuietHours | None) -> str:
    return "none" if value is None else f"{value.from_}–{value.to}"


_ON_SUPPRESSION = {
    OnSuppression.END: "end the journey",
    OnSuppression.CONTINUE: "continue without that channel",
}


def setting_changes(a: JourneyVersion, b: JourneyVersion) -> list[SettingChange]:
    """The version-wide settings that differ, in the order a version file lists them."""
    pairs = [
        ("description", a.description or "none", b.description or "none"),
        (
            "trigger.inactivity",
            _duration(a.trigger.inactivity),
            _duration(b.trigger.inactivity),
        ),
        (
            "entry.when",
            a.entry.when if a.entry else "none (every cart)",
            b.entry.when if b.entry else "none (every cart)",
        ),
        ("locale", a.locale, b.locale),
        (
            "conversion_window",
            _duration(a.conversion_window),
            _duration(b.conversion_window),
        ),
        ("quiet_hours", _quiet_hours(a.quiet_hours), _quiet_hours(b.quiet_hours)),
        ("when_capped", a.when_capped.value, b.when_capped.value),
        ("on_suppression", _ON_SUPPRESSION[a.on_suppression], _ON_SUPPRESSION[b.on_suppression]),
        ("sms_max_segments", str(a.sms_max_segments), str(b.sms_max_segments)),
    ]
    return [SettingChange(name, before, after) for name, before, after in pairs if before != after]


def template_renames(a: JourneyVersion, b: JourneyVersion) -> dict[str, str]:
    """Template of A -> template of B for each message (by id) that changed its template.

    The README's way to reword a message for a new version is a new template folder
    (`reminder_v2/`): its text is best read against the one it replaces.
    """
    templates_a = {
        step.send.id: step.send.template for _, step in send_steps(a.steps) if step.send.id
    }
    renames: dict[str, str] = {}
    for _, step in send_steps(b.steps):
        before = templates_a.get(step.send.id) if step.send.id else None
        after = step.send.template
        if before is not None and after is not None and before != after:
            renames.setdefault(before, after)
    return renames
