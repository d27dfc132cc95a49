"""The client side of the recommendations refresh: its nightly Temporal Schedule, and a run now.

ensure_recommendations_schedule   the worker calls it at start: creates the schedule when
                                  missing, brings its times and action up to date when they
                                  differ (an operator's pause and note are kept), else
                                  leaves it alone; several workers starting at once agree
refresh_now                       `cartnudge recommendations refresh [--shop S]`: the same
                                  workflow, started now, its result awaited

Used by worker.py and the CLI; never by workflow code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from temporal_payloads.codec import sealed_under_another_key
from workflows.names import RECOMMENDATIONS_REFRESH, RECOMMENDATIONS_SCHEDULE
from workflows.recommendation_payloads import RefreshRequest, RefreshResult

log = logging.getLogger("cartnudge.recommendations")

# Nightly at 03:00 UTC: after the evening's orders, before the morning's reminders.
NIGHTLY = ScheduleSpec(
    calendars=[
        ScheduleCalendarSpec(
            hour=[ScheduleRange(3)],
            minute=[ScheduleRange(0)],
            second=[ScheduleRange(0)],
            comment="nightly at 03:00 UTC",
        )
    ],
    time_zone_name="UTC",
)
# The scheduled runs' workflow ids are this plus the time they were due.
SCHEDULED_WORKFLOW_ID = "recommendations-refresh"
RUN_TIMEOUT = timedelta(hours=6)
RPC_TIMEOUT = timedelta(seconds=10)
NOTE = "recomputes every shop's recommendations from its orders (cartnudge)"


class ScheduleChange(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def nightly_schedule(task_queue: str, *, spec: ScheduleSpec = NIGHTLY) -> Schedule:
    """The schedule as cartnudge wants it: the refresh of every shop, on the worker's queue."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RECOMMENDATIONS_REFRESH,
            RefreshRequest(),
            id=SCHEDULED_WORKFLOW_ID,
            task_queue=task_queue,
            execution_timeout=RUN_TIMEOUT,
            static_summary="recompute every shop's recommendations",
        ),
        spec=spec,
        # A run still going at the next 03:00 (it never should) is left to finish alone; a
        # night missed while Temporal was down is caught up within 6 hours, else skipped.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=RUN_TIMEOUT),
        state=ScheduleState(note=NOTE),
    )


def _differs(current: Schedule, wanted: Schedule) -> bool:
    """Whether the server's schedule runs something else, or at other times, than wanted."""
    now, then = current.action, wanted.action
    if not isinstance(now, ScheduleActionStartWorkflow):
        return True
    assert isinstance(then, ScheduleActionStartWorkflow)
    return (
        (now.workflow, now.id, now.task_queue, now.execution_timeout)
        != (then.workflow, then.id, then.task_queue, then.execution_timeout)
        or _calendars(current.spec) != _calendars(wanted.spec)
        or list(current.spec.intervals) != list(wanted.spec.intervals)
        or list(current.spec.cron_expressions) != list(wanted.spec.cron_expressions)
        or (current.spec.time_zone_name or "UTC") != (wanted.spec.time_zone_name or "UTC")
        or current.policy.overlap != wanted.policy.overlap
    )


def _calendars(spec: ScheduleSpec) -> list[tuple[object, ...]]:
    """The calendars as the server compares them: it answers tuples for lists and fills in
    a range's end (3 becomes 3-3) and step."""

    def ranges(found: Sequence[ScheduleRange]) -> tuple[tuple[int, int, int], ...]:
        return tuple((r.start, max(r.end, r.start), r.step or 1) for r in found)

    return [
        (
            ranges(c.second),
            ranges(c.minute),
            ranges(c.hour),
            ranges(c.day_of_month),
            ranges(c.month),
            ranges(c.year),
            ranges(c.day_of_week),
            c.comment or None,
        )
        for c in spec.calendars
    ]


async def ensure_recommendations_schedule(
    client: Client,
    *,
    task_queue: str,
    schedule_id: str = RECOMMENDATIONS_SCHEDULE,
    spec: ScheduleSpec = NIGHTLY,
) -> ScheduleChange:
    """Create the nightly schedule, or bring it up to date. Raises RPCError when Temporal
    fails (the worker logs it and runs on: the schedule is not what it serves)."""
    wanted = nightly_schedule(task_queue, spec=spec)
    handle = client.get_schedule_handle(schedule_id)
    try:
        current = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        try:
            await client.create_schedule(schedule_id, wanted, rpc_timeout=RPC_TIMEOUT)
        except ScheduleAlreadyRunningError:
            return ScheduleChange.UNCHANGED  # another worker created it a moment ago
        return ScheduleChange.CREATED
    action = current.schedule.action
    # Its arguments were encrypted once, when it was written: after a key rotation they are
    # rewritten under the new key, before the old one may be dropped.
    stale_key = isinstance(action, ScheduleActionStartWorkflow) and sealed_under_another_key(
        [arg for arg in action.args if isinstance(arg, Payload)],
        client.data_converter.payload_codec,
    )
    if not stale_key and not _differs(current.schedule, wanted):
        return ScheduleChange.UNCHANGED

    def update(found: ScheduleUpdateInput) -> ScheduleUpdate:
        # An operator's pause (and its note) in the Temporal UI outlives a deploy.
        return ScheduleUpdate(schedule=replace(wanted, state=found.description.schedule.state))

    await handle.update(update, rpc_timeout=RPC_TIMEOUT)
    return ScheduleChange.UPDATED


def refresh_workflow_id(shop: str | None) -> str:
    """One manual run at a time per scope: asking again joins the one running."""
    return f"recommendations-refresh-now-{shop}" if shop else "recommendations-refresh-now"


async def refresh_now(client: Client, *, task_queue: str, shop: str | None = None) -> RefreshResult:
    """Run the refresh now (every shop, or one) through the worker, and wait for it."""
    handle = await client.start_workflow(
        RECOMMENDATIONS_REFRESH,
        RefreshRequest(shop=shop),
        id=refresh_workflow_id(shop),
        task_queue=task_queue,
        result_type=RefreshResult,
        execution_timeout=RUN_TIMEOUT,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"recompute the recommendations of {shop or 'every shop'} (by hand)",
        rpc_timeout=RPC_TIMEOUT,
    )
    log.info("recommendations refresh %s started", handle.id)
    result: RefreshResult = await handle.result()
    return result
