"""The API's GET /metrics: requests by route template and status, cart intake outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.observability.conftest import messaged_cart
from tests.support.api import API_KEY, http_client
from tests.support.metrics import scrape, value
from tests.support.temporal import settings_for_tests

CART_ID = "cart-7f3k"  # must never show in a label
ROUTE = "/v1/carts/{cart_id}"


@pytest.fixture
async def app(temporal_env: WorkflowEnvironment, db_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    yield await _app(settings_for_tests(), temporal_env, db_engine)


async def _app(settings: Settings, env: WorkflowEnvironment, engine: AsyncEngine) -> FastAPI:
    return create_app(settings, temporal_client=env.client, engine=engine)


async def test_cart_intake_is_counted_by_outcome_and_requests_by_route(app: FastAPI) -> None:
    async with (
        app.router.lifespan_context(app),
        http_client(app, Authorization=f"Bearer {API_KEY}") as api,
        http_client(app) as anonymous,
    ):
        before = scrape((await anonymous.get("/metrics")).text)
        path = f"/v1/carts/{CART_ID}"
        replayed = {"Idempotency-Key": "k-1"}
        assert (await api.put(path, json=messaged_cart(), headers=replayed)).status_code == 202
        again = await api.put(path, json=messaged_cart(), headers=replayed)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert (await api.put(path, json=messaged_cart(minutes=-5))).status_code == 202  # stale
        assert (await anonymous.put(path, json=messaged_cart())).status_code == 401
        assert (await api.put(path, json={"shop": "nope"})).status_code == 422
        assert (await anonymous.get("/no/such/thing")).status_code == 404
        after = scrape((await anonymous.get("/metrics")).text)

    def delta(sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    intake = "cartnudge_intake_carts_total"
    assert delta(intake, outcome="accepted") == 1
    assert delta(intake, outcome="duplicate") == 1
    assert delta(intake, outcome="stale") == 1
    assert delta(intake, outcome="refused") == 2
    requests = "cartnudge_http_request_duration_seconds_count"
    assert delta(requests, method="PUT", route=ROUTE, status="202") == 3
    assert delta(requests, method="PUT", route=ROUTE, status="401") == 1
    assert delta(requests, method="GET", route="unmatched", status="404") == 1
    routes = {s.labels.get("route") for f in after.values() for s in f.samples}
    assert not any(CART_ID in str(route) for route in routes)


async def test_a_metrics_token_keeps_the_scrape_to_who_holds_it(
    temporal_env: WorkflowEnvironment, db_engine: AsyncEngine
) -> None:
    app = await _app(settings_for_tests(metrics_token="scrape-me"), temporal_env, db_engine)
    async with app.router.lifespan_context(app), http_client(app) as client:
        without = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})

    assert (without.status_code, wrong.status_code) == (401, 401)
    assert "CARTNUDGE_METRICS_TOKEN" in without.text
    assert right.status_code == 200
    assert "cartnudge_http_request_duration_seconds" in right.text
