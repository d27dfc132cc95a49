"""The worker's /metrics: the Temporal SDK's and cartnudge's own, from a real journey."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from devstack.processes import free_port
from observability.metrics import REASON_WORDS
from observability.runtime import worker_runtime
from tests.factories import make_customer
from tests.observability.conftest import (
    MESSAGED,
    bought_after_first_email,
    obs_settings,
    stack,
)
from tests.support.api import CART, SHOP, WORKFLOW_ID
from tests.support.metrics import scrape, value
from tests.support.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy/grafana/dashboards/cartnudge.json"
METRIC_NAME = re.compile(r"\b(?:cartnudge|temporal)_[a-z0-9_]+\b")
PERSONAL_OR_IDS = {CART, SHOP, WORKFLOW_ID, MESSAGED, str(make_customer().email)}


async def test_the_worker_serves_the_sdks_metrics_and_ours(
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = obs_settings(smtp_server, worker_metrics_address=address)
    async with stack(
        settings,
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
        runtime=worker_runtime(settings),
    ) as running:
        await bought_after_first_email(running, temporal_env, smtp_server)
        async with httpx.AsyncClient() as http:
            scraped = await http.get(f"http://{address}/metrics")
    families = scrape(scraped.text)

    # ours: what became of each send, what the order check found, the purchase closing it
    sent = value(families, "cartnudge_messages_total", channel="email", result="sent")
    assert sent == len(smtp_server.messages) == 1
    assert value(families, "cartnudge_order_lookups_total", result="not_bought") >= 1
    assert value(families, "cartnudge_order_lookups_total", result="bought") == 0
    assert value(families, "cartnudge_purchase_to_closed_seconds_count") == 1
    # the SDK's, in seconds, on the same endpoint
    for sdk in (
        "temporal_workflow_task_schedule_to_start_latency_bucket",
        "temporal_activity_schedule_to_start_latency_bucket",
        "temporal_workflow_completed_total",
    ):
        assert value(families, sdk) > 0, sdk
    # labels are closed sets: no id, no address, no shop, no free text
    for family in families.values():
        for sample in family.samples:
            assert not PERSONAL_OR_IDS & set(sample.labels.values()), sample
            if "reason" in sample.labels:
                assert sample.labels["reason"] in REASON_WORDS, sample


async def test_every_dashboard_query_names_a_metric_the_api_or_worker_exports(
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = obs_settings(smtp_server, worker_metrics_address=address)
    async with stack(
        settings,
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
        runtime=worker_runtime(settings),
    ) as running:
        await bought_after_first_email(running, temporal_env, smtp_server)
        async with httpx.AsyncClient() as http:
            worker = scrape((await http.get(f"http://{address}/metrics")).text)
        api = scrape((await running.api.get("/metrics")).text)
    exported = {s.name for families in (worker, api) for f in families.values() for s in f.samples}

    dashboard = json.loads(DASHBOARD.read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    named = {name for query in queries for name in METRIC_NAME.findall(query)}
    assert len(named) >= 8  # the regex reads the queries
    assert sorted(named - exported) == []


def test_a_taken_metrics_address_stops_the_worker_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        worker = subprocess.run(
            [sys.executable, "worker.py"],
            cwd=REPO,
            env={**os.environ, "CARTNUDGE_WORKER_METRICS_ADDRESS": address},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert worker.returncode == 1
    last = worker.stderr.strip().splitlines()[-1]
    assert last.startswith(f"worker: CARTNUDGE_WORKER_METRICS_ADDRESS={address}: ")
    assert "Address already in use" in last
    assert "Traceback" not in worker.stderr
