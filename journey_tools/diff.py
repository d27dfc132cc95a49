"""`cartnudge journeys diff`: what changes for customers between two versions of a journey.

Pure comparison of two releases (a version's definition and the template text it pins)
and of their simulated timelines, and its rendering as plain text or JSON. Loading files
and running the simulation is the command's job (cli/journey_diff.py).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from journey_schema.release import Release
from journey_tools.step_diff import (
    ChangeKind,
    SettingChange,
    StepChange,
    setting_changes,
    step_changes,
    template_renames,
)
from journey_tools.template_diff import TemplateChange, TemplateChangeKind, template_changes


@dataclass(frozen=True)
class TimelineChange:
    """One persona's simulated timeline under version a and under version b."""

    persona: str
    same: bool
    diff: list[str] = field(default_factory=list)  # unified diff lines, without line ends


@dataclass(frozen=True)
class JourneyDiff:
    journey: str
    a: int
    b: int
    settings: list[SettingChange]
    steps: list[StepChange]
    templates: list[TemplateChange]
    unchanged_templates: list[str]
    # None when the timelines could not be simulated; `timelines_note` says why.
    timelines: list[TimelineChange] | None = None
    timelines_note: str | None = None


def compare(a: Release, b: Release) -> JourneyDiff:
    """Settings, steps and template text that differ from version a to version b."""
    templates, unchanged = template_changes(
        a.templates, b.templates, template_renames(a.definition, b.definition)
    )
    return JourneyDiff(
        journey=b.definition.journey,
        a=a.definition.version,
        b=b.definition.version,
        settings=setting_changes(a.definition, b.definition),
        steps=step_changes(a.definition, b.definition),
        templates=templates,
        unchanged_templates=unchanged,
    )


# A step path in a formatted timeline: steps[2], steps[1].else[0], ...
_STEP_PATH = re.compile(r"\bsteps\[\d+\](?:\.(?:then|else)\[\d+\])*")


def timeline_changes(
    a: Mapping[str, str],
    b: Mapping[str, str],
    *,
    label_a: str,
    label_b: str,
    paths: Mapping[str, str],
) -> list[TimelineChange]:
    """Per persona (in a's order), its formatted timeline under a against under b.

    `paths` (step_paths) names a's steps as b does, so a step inserted before others
    does not make every later message of the timeline read as changed.
    """

    def renamed(text: str) -> str:
        return _STEP_PATH.sub(lambda match: paths.get(match[0], match[0]), text)

    changes = []
    for persona in [*a, *(name for name in b if name not in a)]:
        before, after = renamed(a.get(persona, "")), b.get(persona, "")
        diff = list(
            difflib.unified_diff(
                before.splitlines(), after.splitlines(), label_a, label_b, lineterm=""
            )
        )
        changes.append(TimelineChange(persona, same=not diff, diff=diff))
    return changes


_STEP_MARKS = {
    ChangeKind.ADDED: "+",
    ChangeKind.REMOVED: "-",
    ChangeKind.CHANGED: "~",
    ChangeKind.MOVED: "~",
}


def _setting_lines(change: SettingChange) -> list[str]:
    if max(len(change.before), len(change.after)) <= 40:
        return [f"  ~ {change.setting}: {change.before} → {change.after}"]
    # A description reads better as two sentences than as one line with an arrow.
    return [f"  ~ {change.setting}:", f"      was: {change.before}", f"      now: {change.after}"]


def _step_line(change: StepChange) -> list[str]:
    mark = _STEP_MARKS[change.kind]
    if change.kind is ChangeKind.MOVED:
        return [f"  {mark} {change.path} (moved from {change.was_path}): {change.summary}"]
    if change.kind is ChangeKind.CHANGED:
        was = f" (was {change.was_path})" if change.was_path else ""
        return [f"  {mark} {change.path}{was}: {change.summary}"]
    text = f"{change.kind.value}: {change.step}"
    return [f"  {mark} {change.path}: {text}", *(f"      {line}" for line in change.contents)]


def _template_lines(change: TemplateChange) -> list[str]:
    if change.kind is TemplateChangeKind.CHANGED:
        compared = f" (compared with {change.was_path})" if change.was_path else ""
        head = f"  ~ {change.path}{compared}:"
    else:
        mark = "+" if change.kind is TemplateChangeKind.NEW else "-"
        head = f"  {mark} {change.path}: {change.kind.value}"
    return [head, *(f"      {line}" for line in change.diff)]


def format_diff(diff: JourneyDiff) -> str:
    """The diff as a marketer reads it in a terminal."""
    lines = [f"journey {diff.journey}: v{diff.a} → v{diff.b}", "", "Settings"]
    lines += [line for change in diff.settings for line in _setting_lines(change)] or [
        "  no changes"
    ]
    lines += ["", "Steps"]
    lines += [line for change in diff.steps for line in _step_line(change)] or ["  no changes"]
    lines += ["", "Templates"]
    lines += [line for change in diff.templates for line in _template_lines(change)]
    if diff.unchanged_templates:
        lines.append(f"  {len(diff.unchanged_templates)} template parts unchanged")
    elif not diff.templates:
        lines.append("  no templates")
    lines += ["", "Timelines"]
    if diff.timelines is None:
        lines.append(f"  {diff.timelines_note or 'not simulated'}")
    else:
        lines.append(
            f"  (step paths as in v{diff.b}: v{diff.a}'s steps are named by their place in it)"
        )
    for timeline in diff.timelines or []:
        if timeline.same:
            lines.append(f"  = {timeline.persona}: same timeline")
        else:
            lines.append(f"  ~ {timeline.persona}:")
            lines += [f"      {line}" for line in timeline.diff]
    return "\n".join(lines) + "\n"


def diff_json(diff: JourneyDiff) -> str:
    """The same content, structured: `cartnudge journeys diff --json`."""

    return json.dumps(dataclasses.asdict(diff), indent=2, ensure_ascii=False) + "\n"
