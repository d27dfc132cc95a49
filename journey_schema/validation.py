"""Validate one version file completely, collecting every problem, not only the first.

Besides the schema (pydantic), a version must hold together:

- `journey:` and `version:` match the folder and the file name;
- message ids are unique in the whole file (then/else and every arm of a split included:
  the funnel counts by id);
- a `wait_for` names a message sent *earlier on every path* that reaches it. Paths fork at
  each `wait_for` and `branch`: a message sent only inside `then` counts inside that `then`
  and, after the fork, only if `else` sends it too (or `else` ends with `exit`). The arms
  of a `split` are forks alike: after the split, a message counts only if every arm that
  goes on sends it;
- each split has its own experiment name, and its arms' weights add up to 100;
- conditions in `entry.when` and `branch` are valid expressions;
- a send step's offer (`coupon:`) goes with a customer message, never a webhook, and
  `on_coupon_failure` only with an offer; a template that uses `coupon` needs a step with
  an offer (see template_checks for what each offer's template must render);
- each send step can go out: at least one channel of its preference list has a provider
  (the others are skipped when the message is sent); a webhook step names a `target` and
  no template, every other step a template. Webhooks need no provider (cartnudge posts
  them itself), so they are accepted whatever `channels` holds;
- every template exists, with the parts of every channel it may be sent on, and renders
  (see template_checks).

An SMS is measured with short links of the deployment's public URL when the caller knows
it (`public_url`, from `providers.capabilities_of`), else of a stand-in of realistic
length (tracking/short_links.py).

A webhook `target` is checked against the deployment's targets when the caller knows
them (`webhook_targets`, from `providers.capabilities_of`): `make check-journeys` passes
the CARTNUDGE_WEBHOOK_TARGETS names. Without them (None: an editor, a check without
settings) a target is only spelled.

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
from journey_schema.models import (
    JourneyVersion,
    OnCouponFailure,
    send_spec_problem,
    step_kind,
    weights_problem,
)
from journey_schema.schema_errors import pydantic_problems, weight_problem
from journey_schema.suggestions import closest
from journey_schema.template_checks import SendUse, template_problems
from journey_schema.walk import arm_path
from journey_schema.yaml_source import YamlProblem, load_yaml
from rendering.sms import SmsSegments
from workflows.payloads import Channel

_TEMPLATE_NAME = JOURNEY_NAME  # same spelling rule as journey names
_CHANNELS = frozenset(channel.value for channel in Channel)
# What is known to be sent on the way to a step; None once every path has exited.
_Sent = frozenset[str] | None


@dataclass(frozen=True)
class ValidatedVersion:
    """The version if it passed (else None), every problem found, and each SMS's length."""

    definition: JourneyVersion | None
    problems: list[JourneyError]
    sms_lengths: dict[str, SmsSegments] = field(default_factory=dict)


def validate_version(
    file: Path,
    *,
    journey: str,
    version: int,
    templates: dict[str, str],
    channels: frozenset[Channel],
    webhook_targets: frozenset[str] | None = None,
    public_url: str | None = None,
) -> ValidatedVersion:
    """The version, or None and why not: every problem names the file and the step.

    `webhook_targets`: the configured target names a webhook step may post to; None
    leaves targets unchecked. `public_url`: where the deployment's links point, for the
    length of an SMS; None measures with a stand-in.
    """
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except YamlProblem as exc:
        return ValidatedVersion(None, [JourneyError(file, None, str(exc))])
    except UnicodeDecodeError:
        return ValidatedVersion(None, [JourneyError(file, None, "the file is not UTF-8 text")])
    except OSError as exc:
        problem = JourneyError(file, None, f"can not read the file: {exc.strerror}")
        return ValidatedVersion(None, [problem])
    if not isinstance(data, dict):
        problem = JourneyError(
            file, None, "a version file is a mapping with journey, version, trigger and steps"
        )
        return ValidatedVersion(None, [problem])

    problems = _identity_problems(file, data, journey, version)
    definition: JourneyVersion | None = None
    try:
        definition = JourneyVersion.model_validate(data)
    except ValidationError as exc:
        problems += pydantic_problems(file, exc, model=JourneyVersion)

    structure = _Structure(file, channels, webhook_targets)
    structure.check(data)
    problems += structure.problems
    locale = data.get("locale", "en")
    max_segments = data.get("sms_max_segments", 3)
    report = template_problems(
        file,
        structure.sends,
        locale if isinstance(locale, str) else "en",
        templates,
        sms_max_segments=max_segments if isinstance(max_segments, int) else 3,
        public_url=public_url,
    )
    problems += report.problems
    problems = list(dict.fromkeys(problems))  # one shared cause is reported once
    return ValidatedVersion(
        definition if not problems else None, problems, dict(report.sms_lengths)
    )


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
    webhook_targets: frozenset[str] | None = None
    problems: list[JourneyError] = field(default_factory=list)
    sends: list[SendUse] = field(default_factory=list)
    message_ids: dict[str, str] = field(default_factory=dict)  # id -> path of its send
    message_channels: dict[str, list[Channel]] = field(default_factory=dict)
    experiments: dict[str, str] = field(default_factory=dict)  # name -> path of its split
    # id -> (experiment, arm, path of the arm's steps) of the innermost arm sending it
    message_arms: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def problem(self, step: str | None, text: str) -> None:
        self.problems.append(JourneyError(self.file, step, text))

    def check(self, data: dict[str, Any]) -> None:
        entry = data.get("entry")
        if isinstance(entry, dict):
            self.condition(entry.get("when"), "entry.when")
        steps = data.get("steps")
        for path, spec, arm in _raw_sends(steps, "steps"):
            self.send(path, spec)
            message_id = spec.get("id")
            if arm is not None and isinstance(message_id, str):
                self.message_arms.setdefault(message_id, arm)
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
        channels = _raw_channels(spec.get("channel", Channel.EMAIL.value))
        if channels is None:
            return  # the schema reports an unknown channel
        if isinstance(message_id, str):
            self.message_channels.setdefault(message_id, channels)
        problem = send_spec_problem(
            channels,
            spec.get("template"),
            spec.get("target"),
            coupon=spec.get("coupon"),
            on_coupon_failure=spec.get("on_coupon_failure"),
        )
        if problem:
            # Said here too, not only by the schema, so it is reported with other mistakes
            # in the same step (the model's own check runs only on an otherwise valid step).
            self.problem(f"{path}.send", problem)
        # A webhook needs no provider: cartnudge posts it, to a target the settings name.
        if Channel.WEBHOOK not in channels and not any(c in self.channels for c in channels):
            self.problem(f"{path}.send.channel", unavailable_channels(channels))
        target = target_problem(channels, spec.get("target"), self.webhook_targets)
        if target:
            self.problem(f"{path}.send.target", target)
        template = spec.get("template")
        templated = tuple(channel for channel in channels if channel != Channel.WEBHOOK)
        if templated and isinstance(template, str) and _TEMPLATE_NAME.match(template):
            offer = spec.get("coupon") is not None
            without = not offer or spec.get("on_coupon_failure") == OnCouponFailure.SEND_WITHOUT
            self.sends.append(
                SendUse(
                    path=path,
                    template=template,
                    channels=templated,
                    coupon=offer,
                    without_coupon=without,
                )
            )

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
            elif kind == "split" and isinstance(step, dict):
                sent = self.split(step["split"], path, sent)
        return sent

    def fork(self, step: dict[str, Any], path: str, sent: frozenset[str]) -> _Sent:
        after_then = self.walk(step.get("then"), f"{path}.then", sent)
        after_else = self.walk(step.get("else"), f"{path}.else", sent)
        return _joined([after_then, after_else])

    def split(self, spec: Any, path: str, sent: frozenset[str]) -> _Sent:
        """An experiment: its name and weights, then each arm as one side of a fork."""
        if not isinstance(spec, dict):
            return sent  # the schema says what a split looks like
        experiment = spec.get("experiment")
        if isinstance(experiment, str):
            if experiment in self.experiments:
                self.problem(
                    f"{path}.split.experiment",
                    f"experiment {experiment!r} is already the name of the split at "
                    f"{self.experiments[experiment]}; give each split its own experiment "
                    "name (reports tell experiments apart by it)",
                )
            else:
                self.experiments[experiment] = path
        arms = spec.get("arms")
        if not isinstance(arms, dict):
            return sent
        written = {name: arm for name, arm in arms.items() if isinstance(arm, dict)}
        weights = {
            str(name): weight
            for name, arm in written.items()
            if isinstance(weight := arm.get("weight"), int) and not isinstance(weight, bool)
        }
        for name, arm in written.items():
            if isinstance(arm.get("weight"), bool):  # pydantic would read `true` as 1
                self.problem(f"{path}.split.arms.{name}.weight", weight_problem(arm["weight"]))
        if len(weights) == len(arms) >= 2 and all(1 <= w <= 100 for w in weights.values()):
            problem = weights_problem(experiment, weights)
            if problem:
                self.problem(f"{path}.split", problem)
        ends = [
            self.walk(arm.get("steps"), arm_path(path, str(name)), sent)
            for name, arm in written.items()
        ]
        return _joined(ends) if ends else sent

    def wait_for_reference(self, spec: Any, path: str, sent: frozenset[str]) -> None:
        if not isinstance(spec, dict):
            return
        for event in ("opened", "clicked"):
            message_id = spec.get(event)
            if not isinstance(message_id, str):
                continue
            self.event_reported(message_id, event, f"{path}.wait_for.{event}")
            if message_id in sent:
                continue
            where = self.message_ids.get(message_id)
            arm = self.message_arms.get(message_id)
            if where is None:
                reason = "no step sends a message with that id"
            elif arm is not None and not path.startswith(f"{arm[2]}["):
                experiment, arm_name, _ = arm
                reason = (
                    f"it is sent at {where}, only in arm {arm_name!r} of experiment "
                    f"{experiment}, so it may never have been sent to customers in the other "
                    "arms; send it in every arm, or wait for it inside that arm"
                )
            else:
                reason = f"it is sent at {where}, which does not always run before this step"
            self.problem(
                f"{path}.wait_for.{event}",
                f"waits for message {message_id!r}, which is not sent earlier on this path: "
                f"{reason}",
            )

    def event_reported(self, message_id: str, event: str, path: str) -> None:
        """Only emails report opens (the pixel); a webhook reports nothing at all."""
        channels = self.message_channels.get(message_id)
        if channels is None:
            return
        if Channel.WEBHOOK in channels:
            self.problem(
                path, f"message {message_id!r} is a webhook: it is never opened or clicked"
            )
        elif event == "opened" and Channel.EMAIL not in channels:
            names = ", ".join(channel.value for channel in channels)
            self.problem(
                path,
                f"message {message_id!r} goes by {names}: only emails report opens; "
                "wait for `clicked` instead",
            )


def _raw_channels(value: Any) -> list[Channel] | None:
    """The channels a raw `channel:` names, in order; None if any is not a channel."""
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(item, str) and item in _CHANNELS for item in values):
        return None
    return [Channel(item) for item in values]


def unavailable_channels(channels: list[Channel]) -> str:
    if len(channels) == 1:
        return f"channel {channels[0].value!r} is not available yet: no provider configured"
    names = ", ".join(channel.value for channel in channels)
    return (
        f"none of the channels {names} has a provider configured: the message could never "
        "be sent; add a channel that has one (e.g. email)"
    )


def target_problem(
    channels: list[Channel], target: object, configured: frozenset[str] | None
) -> str | None:
    """Why a webhook step's target can not be posted to, if the configured ones are known."""
    if channels != [Channel.WEBHOOK] or configured is None or not isinstance(target, str):
        return None
    if not _TEMPLATE_NAME.match(target) or target in configured:
        return None  # a misspelt name is the schema's to explain
    if not configured:
        return (
            f"webhook target {target!r} is not configured: CARTNUDGE_WEBHOOK_TARGETS "
            "names no targets"
        )
    names = f"{', '.join(sorted(configured))} (CARTNUDGE_WEBHOOK_TARGETS)"
    match = closest(target, configured)
    if match:
        return (
            f"webhook target {target!r} is not configured; did you mean {match!r}? "
            f"The configured targets are {names}"
        )
    return f"webhook target {target!r} is not configured; the configured targets are {names}"


def _raw_sends(
    steps: Any, prefix: str, arm: tuple[str, str, str] | None = None
) -> Iterator[tuple[str, dict[str, Any], tuple[str, str, str] | None]]:
    """Every `send` mapping in file order, before any path reasoning (for unique ids), with
    the innermost arm it is in: (experiment, arm, path of the arm's steps)."""
    if not isinstance(steps, list):
        return
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        if not isinstance(step, dict):
            continue
        kind = step_kind(step)
        if kind == "send" and isinstance(step["send"], dict):
            yield path, step["send"], arm
        for branch in ("then", "else"):
            yield from _raw_sends(step.get(branch), f"{path}.{branch}", arm)
        split = step.get("split") if kind == "split" else None
        if isinstance(split, dict) and isinstance(split.get("arms"), dict):
            experiment = split.get("experiment")
            for name, spec in split["arms"].items():
                if isinstance(spec, dict):
                    where = arm_path(path, str(name))
                    named = (str(experiment), str(name), where)
                    yield from _raw_sends(spec.get("steps"), where, named)


def _joined(ends: list[_Sent]) -> _Sent:
    """What is sent after a fork: on every side that goes on (None if none does)."""
    going_on = [sent for sent in ends if sent is not None]
    if not going_on:
        return None
    return frozenset.intersection(*going_on)
