"""What a workflow run heard, read from its Temporal history."""

from __future__ import annotations

from typing import TypeVar

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.names import ENGAGEMENT, UPDATE_CART
from workflows.payloads import Cart, Engagement

Payload = TypeVar("Payload")


async def signals(client: Client, workflow_id: str, run_id: str | None = None) -> list[str]:
    """The names of the signals the workflow run received, in order; [] when it never ran."""
    try:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return []
        raise
    return [
        event.workflow_execution_signaled_event_attributes.signal_name
        for event in history.events
        if event.HasField("workflow_execution_signaled_event_attributes")
    ]


async def signal_inputs(
    client: Client,
    workflow_id: str,
    signal: str,
    payload_type: type[Payload],
    run_id: str | None = None,
) -> list[Payload]:
    """The payload of each `signal` the workflow run received, in order."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    found = []
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        attributes = event.workflow_execution_signaled_event_attributes
        if attributes.signal_name == signal:
            [payload] = await client.data_converter.decode(
                attributes.input.payloads, [payload_type]
            )
            found.append(payload)
    return found


async def signalled_carts(client: Client, workflow_id: str) -> list[Cart]:
    """The carts the workflow received with update_cart, in order."""
    return await signal_inputs(client, workflow_id, UPDATE_CART, Cart)


async def engagement_signals(
    client: Client, workflow_id: str, run_id: str
) -> list[tuple[str, str, str | None]]:
    """(message id, kind, channel) of each engagement signal the run heard, in order."""
    heard = await signal_inputs(client, workflow_id, ENGAGEMENT, Engagement, run_id=run_id)
    return [
        (engagement.message_id, engagement.kind.value, engagement.channel) for engagement in heard
    ]


async def workflow_exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def scheduled_activities(
    client: Client, workflow_id: str, run_id: str | None = None
) -> list[str]:
    """The names of the (non-local) activities the workflow run scheduled, in order."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
