from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from channels.smtp import SmtpEmailSender
from releases.source import ReleaseSource
from sending.delivery import Provider
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, settings_for_tests
from tests.workflows.harness import HarnessFactory, JourneyHarness
from workflows.payloads import Channel

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"


@pytest.fixture
def journeys_copy(tmp_path: Path) -> Path:
    """A private copy of journeys/ that a test may edit while carts are on their way."""
    target = tmp_path / "journeys"
    shutil.copytree(REPO_JOURNEYS, target)
    return target


@pytest.fixture
def harness_factory(
    temporal_env: WorkflowEnvironment,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> HarnessFactory:
    @asynccontextmanager
    async def factory(
        journeys_dir: Path = REPO_JOURNEYS,
        providers: dict[Channel, Provider] | None = None,
        releases: ReleaseSource | None = None,
        http: httpx.AsyncClient | None = None,
        **overrides: Any,
    ) -> AsyncIterator[JourneyHarness]:
        """A worker on `journeys_dir` (published and activated), or on `releases` as given;
        `providers` add channels to SMTP email; `http` is what the worker asks shops'
        platforms with (coupons, catalogs), faked at its transport."""
        settings = settings_for_tests(
            journeys_dir=journeys_dir, smtp_url=smtp_server.url, **overrides
        )
        email = Provider("smtp", SmtpEmailSender.from_url(smtp_server.url))
        every = {Channel.EMAIL: email, **(providers or {})}
        async with running_worker(
            temporal_env.client,
            settings=settings,
            session_factory=session_factory,
            providers=every,
            releases=releases,
            http=http,
        ):
            yield JourneyHarness(
                temporal_env, settings, session_factory, smtp_server, frozenset(every)
            )

    return factory


@pytest.fixture
async def harness(harness_factory: HarnessFactory) -> AsyncIterator[JourneyHarness]:
    async with harness_factory() as running:
        # The shipped v1: what these tests are written against (make run would start v3,
        # the shipped experiment; tests/workflows/test_experiments.py runs experiments).
        await running.go_live(1)
        yield running
