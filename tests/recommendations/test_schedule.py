"""The nightly schedule on the real Temporal dev server (the time-skipping server has no
schedules): created as the worker starts, left alone when right, corrected when not, and
its runs writing the tables."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.testing import WorkflowEnvironment

from data_at_rest.cipher import new_key
from releases.live import LiveReleases
from settings import DataKey
from temporal_connection import connect_temporal
from tests.support.order_lines import add_orders, seeded_orders, stored_recommendations
from tests.support.temporal import running_worker, settings_for_tests
from worker import schedule_recommendations
from workflows.recommendation_payloads import RefreshResult
from workflows.recommendations_schedule import ScheduleChange, ensure_recommendations_schedule


async def test_the_schedule_is_created_once_and_corrected(dev_server: WorkflowEnvironment) -> None:
    client = dev_server.client
    # Its own id: the end-to-end tests run worker.py on this server, which ensures the real one.
    schedule_id = f"recommendations-test-{uuid.uuid4()}"
    handle = client.get_schedule_handle(schedule_id)

    async def ensure(task_queue: str) -> ScheduleChange:
        return await ensure_recommendations_schedule(
            client, task_queue=task_queue, schedule_id=schedule_id
        )

    try:
        assert await ensure("q1") is ScheduleChange.CREATED

        described = await handle.describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("RecommendationsRefresh", "q1")
        assert described.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP
        [calendar] = described.schedule.spec.calendars
        assert [(r.start, r.end) for r in (*calendar.hour, *calendar.minute)] == [(3, 3), (0, 0)]
        upcoming = described.info.next_action_times[:2]
        assert all((t.astimezone(UTC).hour, t.minute, t.second) == (3, 0, 0) for t in upcoming)
        assert upcoming[1] - upcoming[0] == timedelta(days=1)

        # the next worker to start finds it right
        assert await ensure("q1") is ScheduleChange.UNCHANGED

        # an operator paused it; an older deploy had it at 04:00
        await handle.pause(note="paused by on-call")

        def at_four(found: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = found.description.schedule
            schedule.spec = ScheduleSpec(
                calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(4)], minute=[ScheduleRange(0)])]
            )
            return ScheduleUpdate(schedule=schedule)

        await handle.update(at_four)
        assert await ensure("q1") is ScheduleChange.UPDATED
        corrected = await handle.describe()
        [calendar] = corrected.schedule.spec.calendars
        assert [(r.start, r.end) for r in calendar.hour] == [(3, 3)]
        assert corrected.schedule.state.paused
        assert corrected.schedule.state.note == "paused by on-call"

        # a worker on another task queue takes it over (the queue its workflow runs on)
        assert await ensure("q2") is ScheduleChange.UPDATED
        moved = (await handle.describe()).schedule.action
        assert isinstance(moved, ScheduleActionStartWorkflow) and moved.task_queue == "q2"
    finally:
        await handle.delete()


async def test_a_scheduled_run_writes_the_tables(
    dev_server: WorkflowEnvironment, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_orders(session_factory, seeded_orders(datetime.now(UTC)))
    client = dev_server.client
    settings = settings_for_tests()
    schedule_id = f"recommendations-test-{uuid.uuid4()}"
    await ensure_recommendations_schedule(
        client, task_queue=settings.task_queue, schedule_id=schedule_id
    )
    handle = client.get_schedule_handle(schedule_id)
    releases = LiveReleases(session_factory, default_journey=settings.default_journey)
    try:
        async with running_worker(
            client,
            settings=settings,
            session_factory=session_factory,
            providers={},
            releases=releases,
        ):
            await handle.trigger()  # what 03:00 does
            for _ in range(100):
                actions = (await handle.describe()).info.recent_actions
                if actions:
                    break
                await asyncio.sleep(0.1)
            started = actions[0].action
            assert isinstance(started, ScheduleActionExecutionStartWorkflow)
            result = await client.get_workflow_handle(
                started.workflow_id, result_type=RefreshResult
            ).result()
    finally:
        await handle.delete()

    assert [shop.shop for shop in result.shops] == ["demo_shop"]
    stored = await stored_recommendations(session_factory)
    assert stored["pairs"][0] == ("shoes", 1, "tights", Decimal("1.5625"), 30)


async def test_the_worker_schedules_the_refresh_as_it_starts(
    dev_server: WorkflowEnvironment,
) -> None:
    settings = settings_for_tests()
    await schedule_recommendations(dev_server.client, settings)  # what worker.main does

    # Created, or taken over from another test's worker: nightly, on this worker's queue.
    described = await dev_server.client.get_schedule_handle("cartnudge-recommendations").describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("RecommendationsRefresh", settings.task_queue)
    assert [t.astimezone(UTC).hour for t in described.info.next_action_times[:2]] == [3, 3]


async def test_a_worker_starts_even_when_the_schedule_can_not_be_made(
    dev_server: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for_tests(
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_namespace="no-such-namespace",
    )
    elsewhere = await connect_temporal(settings)
    await schedule_recommendations(elsewhere, settings)  # does not raise
    assert "could not create or update the recommendations schedule" in caplog.text


async def test_a_key_rotation_rewrites_the_schedules_stored_arguments(
    dev_server: WorkflowEnvironment,
) -> None:
    """The schedule's argument was encrypted when it was written: the first worker started
    with a new key first rewrites it, so the old key may then be dropped."""
    address = dev_server.client.service_client.config.target_host
    old = DataKey.model_validate({"id": "k1", "key": new_key()})
    new = DataKey.model_validate({"id": "k2", "key": new_key()})
    before = await connect_temporal(
        settings_for_tests(temporal_address=address, payload_keys=[old])
    )
    after = await connect_temporal(
        settings_for_tests(temporal_address=address, payload_keys=[new, old])
    )
    schedule_id = f"recommendations-test-{uuid.uuid4()}"

    async def stored_key_ids() -> set[str]:
        described = await after.get_schedule_handle(schedule_id).describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        return {
            payload.metadata["encryption-key-id"].decode()
            for payload in action.args
            if isinstance(payload, Payload)
        }

    try:
        created = await ensure_recommendations_schedule(
            before, task_queue="q1", schedule_id=schedule_id
        )
        assert created is ScheduleChange.CREATED and await stored_key_ids() == {"k1"}

        rewritten = await ensure_recommendations_schedule(
            after, task_queue="q1", schedule_id=schedule_id
        )
        assert rewritten is ScheduleChange.UPDATED and await stored_key_ids() == {"k2"}
        assert (
            await ensure_recommendations_schedule(after, task_queue="q1", schedule_id=schedule_id)
            is ScheduleChange.UNCHANGED
        )
    finally:
        await after.get_schedule_handle(schedule_id).delete()
