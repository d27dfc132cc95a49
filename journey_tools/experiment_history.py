"""Where a cart's experiments took it, read from its workflow's history.

The workflow asks two local activities (activities/experiments.py): `enter_journey` at
abandonment, whose answer says whether the cart is held out, and `choose_arm` at each
split, whose answer is the arm. A local activity's answer is a marker in the history, its
summary names the split (`split first_wait`, workflows/cart_journey.py): the input, which
names the experiment too, is not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from temporal_payloads.converter import payload_converter
from workflows.names import CHOOSE_ARM, ENTER_JOURNEY
from workflows.payloads import ArmChoice, EntryDecision

_SPLIT_SUMMARY = "split "
_T = TypeVar("_T")


@dataclass(frozen=True)
class ArmTaken:
    at: datetime  # when the workflow recorded the answer (server time)
    experiment: str
    arm: str
    reason: str  # assigned, decided (the recorded winner), stopped (the control)


@dataclass(frozen=True)
class ExperimentHistory:
    held_out_at: datetime | None  # when the cart entered its journey held out; None if not
    arms: list[ArmTaken]  # in the order the splits were reached


def experiment_history(history: WorkflowHistory) -> ExperimentHistory:
    held_out_at: datetime | None = None
    arms: list[ArmTaken] = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        kind = _local_activity_type(event)
        at = event.event_time.ToDatetime().replace(tzinfo=UTC)
        if kind == ENTER_JOURNEY:
            decision = _result(event, EntryDecision)
            if decision is not None and decision.held_out:
                held_out_at = at
        elif kind == CHOOSE_ARM:
            choice = _result(event, ArmChoice)
            summary = _summary(event)
            if choice is not None and summary.startswith(_SPLIT_SUMMARY):
                experiment = summary.removeprefix(_SPLIT_SUMMARY)
                arms.append(ArmTaken(at, experiment, choice.arm, choice.reason))
    return ExperimentHistory(held_out_at=held_out_at, arms=arms)


def _local_activity_type(event: HistoryEvent) -> str | None:
    details = event.marker_recorded_event_attributes.details
    if "data" not in details or not details["data"].payloads:
        return None
    try:
        data = json.loads(details["data"].payloads[0].data)
    except ValueError:
        return None
    kind = data.get("activity_type") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


def _result(event: HistoryEvent, result_type: type[_T]) -> _T | None:
    details = event.marker_recorded_event_attributes.details
    if "result" not in details or not details["result"].payloads:
        return None  # the activity failed: the workflow retried or ended the cart
    [result] = payload_converter.from_payloads(details["result"].payloads, [result_type])
    return result  # type: ignore[no-any-return]


def _summary(event: HistoryEvent) -> str:
    if not event.HasField("user_metadata") or not event.user_metadata.HasField("summary"):
        return ""
    [summary] = payload_converter.from_payloads([event.user_metadata.summary], [str])
    return summary if isinstance(summary, str) else ""
