"""The API and a worker wired as in production (create_app, worker.py), their telemetry on:
metrics scraped over HTTP, spans kept in memory, log lines read as the process writes them.

Fixtures:
    shop       (autouse) the shop SHOP with the API key API_KEY
    spans      an InMemorySpanExporter on the process's tracer provider, emptied per test
    restore_logging   puts the root logger back after a test's configure_logging

stack(...) runs the API and a worker as in production; journey_end(...) skips a journey's
days to its end; messaged_cart() is a PUT body the live journey sends to.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from temporal_connection import connect_temporal
from tests.factories import add_shop, make_customer
from tests.support.api import API_KEY, CART, SHOP, WORKFLOW_ID, cart_body, http_client, order_body
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, settings_for_tests, smtp_email

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"
# The live journey holds 10% of customers out (nothing sent); this one is not among them.
MESSAGED = "c-3"
JOURNEY_DAYS = timedelta(days=14)  # the live journey's steps and conversion window, and more


def messaged_cart(**overrides: Any) -> dict[str, Any]:
    """A cart PUT body whose customer the live journey messages."""
    return cart_body(customer=make_customer(id=MESSAGED), **overrides)


@pytest.fixture(autouse=True)
async def shop(session_factory: async_sessionmaker[AsyncSession]) -> str:
    await add_shop(session_factory, shop=SHOP, key=API_KEY)
    return SHOP


@pytest.fixture(scope="session")
def _span_exporter() -> InMemorySpanExporter:
    # A process has one tracer provider; cartnudge's start_tracing keeps one already set.
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    _span_exporter.clear()
    yield _span_exporter
    _span_exporter.clear()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger and the SDK's loggers: put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    on_activity = activity.logger.activity_info_on_message
    on_workflow = workflow.logger.workflow_info_on_message
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    activity.logger.activity_info_on_message = on_activity
    workflow.logger.workflow_info_on_message = on_workflow


def obs_settings(smtp_server: SmtpServer, **overrides: object) -> Settings:
    return settings_for_tests(journeys_dir=REPO_JOURNEYS, smtp_url=smtp_server.url, **overrides)


@dataclass
class Stack:
    app: FastAPI
    api: httpx.AsyncClient
    client: Client  # the API's and the worker's, built by connect_temporal as in production


@asynccontextmanager
async def stack(
    settings: Settings,
    *,
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    runtime: Runtime | None = None,
) -> AsyncIterator[Stack]:
    """The API and a worker on the test's Temporal server, through connect_temporal (so
    with the interceptors and runtime the settings ask for)."""
    target = env.client.service_client.config.target_host
    settings = settings.model_copy(update={"temporal_address": target})
    client = await connect_temporal(settings, runtime=runtime)
    app = create_app(settings, temporal_client=client, engine=engine)
    async with (
        running_worker(
            client,
            settings=settings,
            session_factory=session_factory,
            providers=smtp_email(smtp_server.url),
        ),
        app.router.lifespan_context(app),
        http_client(app, Authorization=f"Bearer {API_KEY}") as api,
    ):
        yield Stack(app, api, client)


async def journey_end(env: WorkflowEnvironment, workflow_id: str) -> None:
    """Skip the journey's days (all of them, with its conversion window) and wait for its end."""
    handle = env.client.get_workflow_handle(workflow_id)
    run_id = (await handle.describe()).run_id
    await env.sleep(JOURNEY_DAYS)
    await env.client.get_workflow_handle(workflow_id, run_id=run_id).result()


async def bought_after_first_email(
    running: Stack, env: WorkflowEnvironment, smtp_server: SmtpServer
) -> None:
    """A cart through the API: its first reminder sent, then its order, then its end."""
    answer = await running.api.put(f"/v1/carts/{CART}", json=messaged_cart())
    assert answer.status_code == 202, answer.text
    run_id = (await running.client.get_workflow_handle(WORKFLOW_ID).describe()).run_id
    # 1 h quiet triggers it; the first reminder may wait out the night (quiet hours, 12 h)
    await env.sleep(timedelta(hours=13, minutes=5))
    await smtp_server.wait_for_messages(1)
    ordered = await running.api.post("/v1/orders", json=order_body())
    assert ordered.status_code in (200, 201, 202), ordered.text
    await env.client.get_workflow_handle(WORKFLOW_ID, run_id=run_id).result()
