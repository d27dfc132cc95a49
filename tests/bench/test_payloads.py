"""How the bench finds the largest payload of a history that is not a cart snapshot."""

from __future__ import annotations

import json
from typing import Any

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    HistoryEvent,
    MarkerRecordedEventAttributes,
    WorkflowExecutionSignaledEventAttributes,
)

from devstack.bench import cart_body, is_cart_snapshot, largest_payload


def json_payload(value: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def signalled(event_id: int, value: Any) -> HistoryEvent:
    return HistoryEvent(
        event_id=event_id,
        event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        workflow_execution_signaled_event_attributes=WorkflowExecutionSignaledEventAttributes(
            signal_name="update_cart", input=Payloads(payloads=[json_payload(value)])
        ),
    )


def marker(event_id: int, value: Any) -> HistoryEvent:
    return HistoryEvent(
        event_id=event_id,
        event_type=EventType.EVENT_TYPE_MARKER_RECORDED,
        marker_recorded_event_attributes=MarkerRecordedEventAttributes(
            marker_name="LocalActivity",
            details={"data": Payloads(payloads=[json_payload(value)])},
        ),
    )


def test_a_cart_is_told_by_its_items_and_customer() -> None:
    assert is_cart_snapshot(json_payload(cart_body("c1")))
    assert not is_cart_snapshot(json_payload({"items": [], "shop": "bench"}))
    assert not is_cart_snapshot(json_payload(["items", "customer"]))
    assert not is_cart_snapshot(Payload(metadata={"encoding": b"binary/null"}))


def test_the_largest_payload_that_is_not_a_cart_wins_wherever_it_sits() -> None:
    journey = {"journey": "abandoned_cart", "templates": "x" * 900}
    events = [
        signalled(1, cart_body("c1") | {"note": "y" * 5000}),  # the largest, but a cart
        marker(2, journey),  # in a map of Payloads, inside the event's attributes
        signalled(3, {"message_id": "r1", "kind": "clicked"}),
    ]
    found = largest_payload(events)
    assert found.bytes == json_payload(journey).ByteSize()
    assert found.where == "MARKER_RECORDED details[data].payloads[0] (event 2)"


def test_a_history_of_carts_alone_has_no_other_payload() -> None:
    assert largest_payload([signalled(1, cart_body("c1"))]).bytes == 0
