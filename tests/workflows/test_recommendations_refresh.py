"""The recommendations refresh workflow on the time-skipping server, with the production
worker (worker.py) and a real database: every shop's tables written, one activity each."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError, is_cancelled_exception
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from releases.live import LiveReleases
from settings import Settings
from tests.support.histories import scheduled_activities
from tests.support.order_lines import (
    SHOP,
    SeedOrder,
    add_orders,
    seeded_orders,
    stored_recommendations,
)
from tests.support.temporal import running_worker, settings_for_tests
from workflows import names
from workflows.recommendation_payloads import (
    RefreshRequest,
    ShopRefresh,
    ShopRefreshed,
    ShopsToRefresh,
)
from workflows.recommendations_refresh import RecommendationsRefreshWorkflow
from workflows.recommendations_schedule import refresh_now, refresh_workflow_id


@asynccontextmanager
async def refresh_worker(
    client: Client, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Settings]:
    settings = settings_for_tests()
    releases = LiveReleases(sessions, default_journey=settings.default_journey)
    async with running_worker(
        client, settings=settings, session_factory=sessions, providers={}, releases=releases
    ):
        yield settings


async def activity_summaries(client: Client, workflow_id: str) -> list[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    summaries = [
        event.user_metadata.summary
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    # Summaries are payloads like any other: encrypted, decoded by the client's converter
    return list(await client.data_converter.decode(summaries, [str] * len(summaries)))


async def test_the_refresh_recomputes_every_shop_with_orders(
    temporal_env: WorkflowEnvironment, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # The run learns from the orders before its start (the server's clock, about now).
    now = datetime.now(UTC)
    await add_orders(session_factory, seeded_orders(now))
    await add_orders(
        session_factory,
        [SeedOrder(f"b{n}", now - timedelta(days=2), ["mug", "tea"]) for n in range(3)],
        shop="b_shop",
    )
    async with refresh_worker(temporal_env.client, session_factory) as settings:
        result = await refresh_now(temporal_env.client, task_queue=settings.task_queue)

    assert [(s.shop, s.orders, s.products, s.pairs, s.popular) for s in result.shops] == [
        ("b_shop", 3, 0, 0, 2),  # mug and tea together in every order: lift 1, no pair
        (SHOP, 200, 3, 4, 4),
    ]
    stored = await stored_recommendations(session_factory)
    assert stored["pairs"][:2] == [
        ("shoes", 1, "tights", Decimal("1.5625"), 30),
        ("shoes", 2, "socks", Decimal("1.1364"), 60),
    ]
    assert [row[1] for row in stored["popular"]] == ["bottle", "tights", "shoes", "cap"]
    other = await stored_recommendations(session_factory, shop="b_shop")
    assert other["popular"] == [(1, "mug", 3), (2, "tea", 3)]

    workflow_id = refresh_workflow_id(None)
    assert await scheduled_activities(temporal_env.client, workflow_id) == [
        "recommendation_shops",
        "refresh_recommendations",
        "refresh_recommendations",
    ]
    # what the Temporal UI's timeline says of each
    assert await activity_summaries(temporal_env.client, workflow_id) == [
        "which shops have orders to learn from",
        "recompute the recommendations of b_shop",
        f"recompute the recommendations of {SHOP}",
    ]


async def test_refreshing_one_shop_leaves_the_others_alone(
    temporal_env: WorkflowEnvironment, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime.now(UTC)
    await add_orders(session_factory, seeded_orders(now))
    await add_orders(
        session_factory, [SeedOrder("b1", now - timedelta(days=2), ["mug"])], shop="b_shop"
    )
    async with refresh_worker(temporal_env.client, session_factory) as settings:
        result = await refresh_now(
            temporal_env.client, task_queue=settings.task_queue, shop="b_shop"
        )

    assert [s.shop for s in result.shops] == ["b_shop"]
    assert await scheduled_activities(temporal_env.client, refresh_workflow_id("b_shop")) == [
        "refresh_recommendations"
    ]
    assert (await stored_recommendations(session_factory, shop="b_shop"))["popular"] == [
        (1, "mug", 1)
    ]
    assert (await stored_recommendations(session_factory))["pairs"] == []  # not refreshed


async def test_a_shop_that_fails_for_good_keeps_its_lists_and_the_others_still_learn(
    temporal_env: WorkflowEnvironment,
) -> None:
    @activity.defn(name=names.RECOMMENDATION_SHOPS)
    async def shops(_: ShopsToRefresh) -> list[str]:
        return ["a_shop", "broken", "c_shop"]

    @activity.defn(name=names.REFRESH_RECOMMENDATIONS)
    async def refresh(request: ShopRefresh) -> ShopRefreshed:
        if request.shop == "broken":
            raise ApplicationError("its orders can not be read", non_retryable=True)
        return ShopRefreshed(shop=request.shop, orders=1, products=0, pairs=0, popular=1)

    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        temporal_env.client,
        task_queue=task_queue,
        workflows=[RecommendationsRefreshWorkflow],
        activities=[shops, refresh],
    ):
        result = await refresh_now(temporal_env.client, task_queue=task_queue)

    assert [s.shop for s in result.shops] == ["a_shop", "c_shop"]
    assert result.failed == ("broken",)


async def test_a_cancelled_refresh_stops_instead_of_going_on_to_the_next_shop(
    temporal_env: WorkflowEnvironment,
) -> None:
    reached: list[str] = []
    started = asyncio.Event()

    @activity.defn(name=names.RECOMMENDATION_SHOPS)
    async def shops(_: ShopsToRefresh) -> list[str]:
        return ["slow_shop", "next_shop"]

    @activity.defn(name=names.REFRESH_RECOMMENDATIONS)
    async def refresh(request: ShopRefresh) -> ShopRefreshed:
        reached.append(request.shop)
        started.set()
        while True:  # until the cancel reaches it through its heartbeat
            activity.heartbeat()
            await asyncio.sleep(0.1)

    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        temporal_env.client,
        task_queue=task_queue,
        workflows=[RecommendationsRefreshWorkflow],
        activities=[shops, refresh],
    ):
        handle = await temporal_env.client.start_workflow(
            RecommendationsRefreshWorkflow.run,
            RefreshRequest(),
            id=f"refresh-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        await asyncio.wait_for(started.wait(), timeout=30)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()

    assert is_cancelled_exception(failure.value.cause)
    assert reached == ["slow_shop"]
