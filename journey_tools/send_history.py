"""Every send a cart's workflow asked for, with its answer, read from the workflow's history.

The history is what the journey did, as Temporal recorded it: each `send_message`
activity's request (step, message, channels, template) and result (sent, deferred with
the reason and until when, skipped, bought), at the server's time of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from temporal_payloads.converter import payload_converter
from workflows.names import SEND_MESSAGE
from workflows.payloads import SendRequest, SendResult


@dataclass(frozen=True)
class SendAttempt:
    at: datetime  # when the activity answered (server time)
    request: SendRequest
    result: SendResult

    @property
    def key(self) -> str:
        """The outbox key the send activity used (and the capture keeps)."""
        return self.request.outbox_key


def send_attempts(history: WorkflowHistory) -> list[SendAttempt]:
    """The cart's send attempts in the order they were answered."""
    converter = payload_converter
    requests: dict[int, SendRequest] = {}
    attempts = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == SEND_MESSAGE:
                [request] = converter.from_payloads(scheduled.input.payloads, [SendRequest])
                requests[event.event_id] = request
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            request = requests.get(completed.scheduled_event_id)
            if request is not None:
                [result] = converter.from_payloads(completed.result.payloads, [SendResult])
                at = event.event_time.ToDatetime().replace(tzinfo=UTC)
                attempts.append(SendAttempt(at=at, request=request, result=result))
    return attempts


def closed_at(history: WorkflowHistory) -> datetime:
    """When the workflow ended: its last event."""
    return history.events[-1].event_time.ToDatetime().replace(tzinfo=UTC)
