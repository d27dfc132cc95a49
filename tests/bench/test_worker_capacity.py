"""The worker's capacity settings (docs/SCALING.md) reach the worker it builds, and a value
it could not run with is refused at start, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from worker import build_worker


async def test_the_worker_runs_with_the_capacity_it_is_told(
    dev_server: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTNUDGE_WORKER_MAX_CONCURRENT_ACTIVITIES", "7")
    monkeypatch.setenv("CARTNUDGE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "9")
    monkeypatch.setenv("CARTNUDGE_WORKER_MAX_CACHED_WORKFLOWS", "250")
    worker = build_worker(dev_server.client, settings=Settings(), activities=[])
    config = worker.config()
    assert config.get("max_concurrent_activities") == 7
    assert config.get("max_concurrent_workflow_tasks") == 9
    assert config.get("max_cached_workflows") == 250


def test_by_default_the_worker_has_the_sdks_capacity() -> None:
    settings = Settings()
    assert (
        settings.worker_max_concurrent_activities,
        settings.worker_max_concurrent_workflow_tasks,
        settings.worker_max_cached_workflows,
    ) == (100, 100, 1000)


@pytest.mark.parametrize(
    "name", ["WORKER_MAX_CONCURRENT_ACTIVITIES", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS"]
)
def test_no_concurrency_at_all_is_refused_naming_the_setting(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"CARTNUDGE_{name}", "0")
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()
