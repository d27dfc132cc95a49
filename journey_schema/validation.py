"""Validate one version file completely, collecting every problem, not only the first.

Besides the schema (pydantic), a version must hold together:

- `journey:` and `version:` match the folder and the file name;
- message ids are unique in the whole file (then/else included: the funnel counts by id);
- a `wait_for` names a message sent *earlier on every path* that reaches it. Paths fork at
  each `wait_for` and `branch`: a message sent only inside `then` counts inside that `then`
  and, after the fork, only if `else` sends it too (or `else` ends with `exit`);
- conditions in `entry.when` and `branch` are valid expressions;
- every channel has a provider;
- every template exists and renders (see template_checks).

The structural checks walk the raw YAML rather than the model, so they still run, and
still report, when the schema has errors elsewhere in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from journey_schema import expressions
from journey_schema.errors import JourneyError
from journey_schema.folder import JOURNEY_NAME
from journey_schema.models import Channel, JourneyVersion, step_kind
from journey_schema.schema_errors import pydantic_problems
from journey_schema.template_checks import SendUse, template_problems
from journey_schema.yaml_source import YamlProblem, load_yaml

_TEMPLATE_NAME = JOURNEY_NAME  # same spelling rule as journey names
# What is known to be sent on the way to a step; None once every path has exited.
_Sent = frozenset[str] | None


def validate_version(
    file: Path,
    *,
    journey: str,
    version: int,
    templates: dict[str, str],
    channels: frozenset[Channel],
) -> tuple[JourneyVersion | None, list[JourneyError]]:
    """The version, or None and why not: every problem names the file and the step."""
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except YamlProblem as exc:
        return None, [JourneyError(file, None, str(exc))]
    except UnicodeDecodeError:
        return None, [JourneyError(file, None, "the file is not UTF-8 text")]
    except OSError as exc:
        return None, [JourneyError(file, None, f"can not read the file: {exc.strerror}")]
    if not isinstance(data, dict):
        return None, [
            JourneyError(
                file, None, "a version file is a mapping with journey, version, trigger and steps"
            )
        ]

    problems = _identity_problems(file, data, journey, version)
    definition: JourneyVersion | None = None
    try:
        definition = JourneyVersion.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(file, exc)

    structure = _Structure(file, channels)
    structure.check(data)
    problems += structure.problems
    locale = data.get("locale", "en")
    problems += template_problems(
        file, structure.sends, locale if isinstance(locale, str) else "en", templates
    )
    problems = list(dict.fromkeys(problems))  # one shared cause is reported once
    return (definition if not problems else None), problems


def _identity_problems(
    file: Path, data: dict[str, Any], journey: str, version: int
) -> list[JourneyError]:
    problems = []
    named = data.get("journey")
    if isinstance(named, str) and named != journey:
        problems.append(
            JourneyError(file, "journey", f"{named!r} does not match its folder {journey!r}")
        )
    numbered = data.get("version")
    if isinstance(numbered, int) and not isinstance(numbered, bool) and numbered != version:
        problems.append(
            JourneyError(file, "version", f"{numbered} does not match the file name {file.name}")
        )
    return problems


@dataclass
class _Structure:
    """Walks the raw steps: ids, wait_for references, conditions, channels, templates."""

    file: Path
    channels: frozenset[Channel]
    problems: list[JourneyError] = field(default_factory=list)
    sends: list[SendUse] = field(default_factory=list)
    message_ids: dict[str, str] = field(default_factory=dict)  # id -> path of its send

    def problem(self, step: str | None, text: str) -> None:
        self.problems.append(JourneyError(self.file, step, text))

    def check(self, data: dict[str, Any]) -> None:
        entry = data.get("entry")
        if isinstance(entry, dict):
            self.condition(entry.get("when"), "entry.when")
        steps = data.get("steps")
        for path, spec in _raw_sends(steps, "steps"):
            self.send(path, spec)
        self.walk(steps, "steps", frozenset())

    def send(self, path: str, spec: dict[str, Any]) -> None:
        message_id = spec.get("id")
        if isinstance(message_id, str):
            if message_id in self.message_ids:
                self.problem(
                    f"{path}.send.id",
                    f"message id {message_id!r} is already used at {self.message_ids[message_id]}",
                )
            else:
                self.message_ids[message_id] = path
        channel = spec.get("channel", Channel.EMAIL.value)
        if not isinstance(channel, str) or channel not in set(Channel):
            return  # the schema reports an unknown channel
        if Channel(channel) not in self.channels:
            self.problem(
                f"{path}.send.channel",
                f"channel {channel!r} is not available yet: no provider configured",
            )
            return
        template = spec.get("template")
        if isinstance(template, str) and _TEMPLATE_NAME.match(template):
            if channel == Channel.EMAIL:
                self.sends.append(SendUse(path=path, template=template))

    def condition(self, text: Any, path: str) -> None:
        if not isinstance(text, str):
            return  # the schema reports a missing or non-text condition
        try:
            expressions.check(text)
        except ValueError as exc:
            self.problem(path, f"condition {text!r}: {exc}")

    def walk(self, steps: Any, prefix: str, sent: _Sent) -> _Sent:
        if not isinstance(steps, list):
            return sent
        for index, step in enumerate(steps):
            path = f"{prefix}[{index}]"
            if sent is None:
                self.problem(path, "this step never runs: every path before it ends with exit")
                return None
            kind = step_kind(step) if isinstance(step, dict | str) else None
            if kind == "exit":
                sent = None
            elif kind == "send" and isinstance(step, dict):
                spec = step["send"]
                if isinstance(spec, dict) and isinstance(spec.get("id"), str):
                    sent = sent | {spec["id"]}
            elif kind == "wait_for" and isinstance(step, dict):
                self.wait_for_reference(step["wait_for"], path, sent)
                sent = self.fork(step, path, sent)
            elif kind == "branch" and isinstance(step, dict):
                self.condition(step["branch"], f"{path}.branch")
                sent = self.fork(step, path, sent)
        return sent

    def fork(self, step: dict[str, Any], path: str, sent: frozenset[str]) -> _Sent:
        after_then = self.walk(step.get("then"), f"{path}.then", sent)
        after_else = self.walk(step.get("else"), f"{path}.else", sent)
        if after_then is None:
            return after_else
        if after_else is None:
            return after_then
        return after_then & after_else

    def wait_for_reference(self, spec: Any, path: str, sent: frozenset[str]) -> None:
        if not isinstance(spec, dict):
            return
        for event in ("opened", "clicked"):
            message_id = spec.get(event)
            if not isinstance(message_id, str) or message_id in sent:
                continue
            where = self.message_ids.get(message_id)
            if where is None:
                reason = "no step sends a message with that id"
            else:
                reason = f"it is sent at {where}, which does not always run before this step"
            self.problem(
                f"{path}.wait_for.{event}",
                f"waits for message {message_id!r}, which is not sent earlier on this path: "
                f"{reason}",
            )


def _raw_sends(steps: Any, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `send` mapping in file order, before any path reasoning (for unique ids)."""
    if not isinstance(steps, list):
        return
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        if not isinstance(step, dict):
            continue
        if step_kind(step) == "send" and isinstance(step["send"], dict):
            yield path, step["send"]
        for branch in ("then", "else"):
            yield from _raw_sends(step.get(branch), f"{path}.{branch}")
