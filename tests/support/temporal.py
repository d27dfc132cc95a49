"""Temporal for tests: the real time-skipping test server, our search attributes, our worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from channels.smtp import SmtpEmailSender
from journey_schema.providers import Capabilities
from releases.live import LiveReleases
from releases.quick_start import publish_and_activate
from releases.source import ReleaseSource
from sending.delivery import Provider
from settings import DataKey, Settings
from temporal_connection import ensure_search_attributes, temporal_binary
from temporal_payloads.converter import data_converter
from worker import build_activities, build_worker
from workflows import search_attributes
from workflows.payloads import Channel


def required_binary(name: str) -> str:
    found = temporal_binary(name)
    if not found:
        pytest.fail(f"{name} not found: install the project with `make test`")
    return found


@pytest.fixture
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: its clock jumps, so tests do not share it."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=required_binary("temporal-test-server"),
        data_converter=data_converter(settings_for_tests()),
    )
    await ensure_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


# base64 of b"cartnudge-test-payload-key-32byt"
TEST_PAYLOAD_KEY = DataKey(id="test", key=SecretStr("Y2FydG51ZGdlLXRlc3QtcGF5bG9hZC1rZXktMzJieXQ="))


def settings_for_tests(**overrides: object) -> Settings:
    defaults: dict[str, object] = {
        "task_queue": f"tq-{uuid.uuid4()}",
        "public_url": "http://cartnudge.test",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        # Journeys are timed step by step in these tests; the cap tests switch caps on.
        "email_cap_hours": 0,
        "sms_cap_hours": 0,
        "push_cap_hours": 0,
        # Every test's Temporal payloads are encrypted, as in production.
        "payload_keys": [TEST_PAYLOAD_KEY],
    }
    return Settings(**{**defaults, **overrides})  # type: ignore[arg-type]


def smtp_email(smtp_url: str) -> dict[Channel, Provider]:
    """Email through the test's SMTP server, the one channel most workers need."""
    return {Channel.EMAIL: Provider("smtp", SmtpEmailSender.from_url(smtp_url))}


@asynccontextmanager
async def running_worker(
    client: Client,
    *,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    providers: dict[Channel, Provider],
    releases: ReleaseSource | None = None,
    http: httpx.AsyncClient | None = None,
) -> AsyncIterator[None]:
    """The production worker wiring (worker.py), pointed at test clients.

    Without `releases`, `settings.journeys_dir` is published and its highest sendable
    versions activated, as `make run` does, and the worker reads what is live at once.
    """
    if releases is None:
        await publish_and_activate(
            session_factory,
            settings.journeys_dir,
            capabilities=Capabilities(frozenset(providers), frozenset(settings.webhook_targets)),
        )
        releases = LiveReleases(
            session_factory,
            default_journey=settings.default_journey,
            refresh_every=timedelta(0),
        )
    activities = build_activities(
        settings=settings,
        session_factory=session_factory,
        releases=releases,
        providers=providers,
        http=http,
    )
    async with build_worker(client, settings=settings, activities=activities):
        yield


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (SQLite in memory), our search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=required_binary("temporal"),
        search_attributes=search_attributes.ALL,
        data_converter=data_converter(settings_for_tests()),
    )
    try:
        yield env
    finally:
        await env.shutdown()
