"""Each API key may make `rate_limit_burst` requests at once, then `rate_limit_per_second`;
above that a 429 with Retry-After, for that key only."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.rate_limit import RateLimiter
from storage.models import Cart, IdempotentRequest
from tests.factories import add_shop
from tests.support.api import cart_body
from tests.support.histories import workflow_exists
from tests.support.tables import rows

BURST = 2


# a token every 100 s: nothing refills while a test runs
pytestmark = pytest.mark.settings(rate_limit_per_second=0.01, rate_limit_burst=BURST)


async def test_after_the_burst_a_429_names_the_limit_and_when_to_retry(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    taken = [await api.put(f"/v1/carts/c{n}", json=cart_body()) for n in range(BURST)]

    refused = await api.put("/v1/carts/c-over", json=cart_body())

    assert [response.status_code for response in taken] == [202] * BURST
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "100"
    assert refused.json()["detail"].startswith(
        "rate limit: at most 0.01 requests per second per API key (bursts of 2;"
    )
    assert len(await rows(session_factory, Cart)) == BURST
    assert not await workflow_exists(temporal_env.client, "cart-demo_shop-c-over")


async def test_another_shops_key_is_not_throttled(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="other_shop", key="other-key")
    answers = [await api.get("/v1/carts/abc/journey") for _ in range(BURST + 1)]

    theirs = await api.put(
        "/v1/carts/abc",
        json=cart_body(shop="other_shop"),
        headers={"Authorization": "Bearer other-key"},
    )

    assert answers[-1].status_code == 429  # demo_shop's key is spent
    assert theirs.status_code == 202


async def test_wrong_keys_get_401_and_use_none_of_the_shops_tokens(
    anonymous: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    wrong = [
        await anonymous.put(
            "/v1/carts/abc", json=cart_body(), headers={"Authorization": "Bearer x"}
        )
        for _ in range(BURST + 1)
    ]

    mine = [await api.put(f"/v1/carts/c{n}", json=cart_body()) for n in range(BURST)]

    assert [response.status_code for response in wrong] == [401] * (BURST + 1)
    assert [response.status_code for response in mine] == [202] * BURST


async def test_a_throttled_request_leaves_its_idempotency_key_unused(
    app: FastAPI,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = [0.0]
    app.state.rate_limiter = RateLimiter(per_second=1, burst=1, clock=lambda: now[0])
    await api.put("/v1/carts/first", json=cart_body())

    refused = await api.put("/v1/carts/abc", json=cart_body(), headers={"Idempotency-Key": "k"})
    now[0] += 1  # the shop waits Retry-After
    retried = await api.put("/v1/carts/abc", json=cart_body(), headers={"Idempotency-Key": "k"})

    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert (retried.status_code, retried.json()["status"]) == (202, "accepted")
    assert [row.status_code for row in await rows(session_factory, IdempotentRequest)] == [202]
