"""Idempotency-Key: a repeat gets the first answer and changes nothing; a reused key with
another request gets 409; a 5xx leaves the key free for the shop's retry."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from storage import idempotency as stored_requests
from storage.idempotency import Fingerprint
from storage.models import Cart, IdempotentRequest, Order
from tests.factories import add_shop
from tests.support.api import CART, SHOP, WORKFLOW_ID, cart_body, order_body
from tests.support.histories import signals, workflow_exists
from tests.support.tables import rows

CART_URL = f"/v1/carts/{CART}"
JSON = {"Content-Type": "application/json"}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def raw(body: dict[str, Any]) -> bytes:
    """The exact bytes sent, so a test can store their digest as a claim would."""
    return json.dumps(body).encode()


async def add_claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    key: str,
    body: bytes,
    age: timedelta,
    status_code: int | None = None,
    path: str = CART_URL,
) -> None:
    """A row as an earlier request with `key` left it, `age` ago."""
    async with sessions() as session:
        session.add(
            IdempotentRequest(
                shop=SHOP,
                key=key,
                method="PUT",
                path=path,
                body_digest=hashlib.sha256(body).hexdigest(),
                status_code=status_code,
                response_body='{"earlier": true}' if status_code else None,
                created_at=datetime.now(UTC) - age,
            )
        )
        await session.commit()


async def test_a_repeated_cart_gets_the_first_answer_and_signals_once(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    body = cart_body()

    first = await api.put(CART_URL, json=body, headers=keyed("cart-abc-1"))
    again = await api.put(CART_URL, json=body, headers=keyed("cart-abc-1"))

    assert first.status_code == 202
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # without the key the repeat would signal again (a shop retrying after a 503)
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


async def test_a_repeated_order_is_recorded_and_signalled_once(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(CART_URL, json=cart_body())

    first = await api.post("/v1/orders", json=order_body(), headers=keyed("order-o-1"))
    again = await api.post("/v1/orders", json=order_body(), headers=keyed("order-o-1"))

    assert first.json()["status"] == "accepted"
    assert (again.status_code, again.json()) == (202, first.json())  # not "duplicate"
    assert len(await rows(session_factory, Order)) == 1
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


async def test_a_repeated_consent_statement_replays_its_empty_204(
    api: httpx.AsyncClient,
) -> None:
    url = "/v1/customers/c-1/consent"
    statement = {"consent": {"email": True}, "updated_at": "2026-11-22T10:00:00Z"}

    first = await api.put(url, json=statement, headers=keyed("consent-1"))
    again = await api.put(url, json=statement, headers=keyed("consent-1"))

    assert (first.status_code, again.status_code) == (204, 204)
    assert (again.content, again.headers["idempotent-replayed"]) == (b"", "true")


async def test_the_same_key_with_another_body_is_a_409_and_changes_nothing(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(CART_URL, json=cart_body(), headers=keyed("k-1"))

    reused = await api.put(CART_URL, json=cart_body(minutes=5), headers=keyed("k-1"))

    assert reused.status_code == 409
    assert (
        "Idempotency-Key 'k-1' was already used with a different body" in (reused.json()["detail"])
    )
    [cart] = await rows(session_factory, Cart)
    assert cart.updated_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # the first one
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


async def test_the_same_key_on_another_route_is_a_409(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    body = cart_body()
    await api.put(CART_URL, json=body, headers=keyed("k-1"))

    reused = await api.put("/v1/carts/other", json=body, headers=keyed("k-1"))

    assert reused.status_code == 409
    assert reused.json()["detail"].startswith(
        f"Idempotency-Key 'k-1' was already used for PUT {CART_URL}"
    )
    assert not await workflow_exists(temporal_env.client, f"cart-{SHOP}-other")


async def test_after_a_503_the_retry_with_the_same_key_runs(
    api_without_temporal: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    body = cart_body()

    refused = await api_without_temporal.put(CART_URL, json=body, headers=keyed("k-503"))

    assert refused.status_code == 503
    assert await rows(session_factory, IdempotentRequest) == []  # the claim was dropped

    retried = await api.put(CART_URL, json=body, headers=keyed("k-503"))

    assert (retried.status_code, retried.json()["status"]) == (202, "accepted")
    assert "idempotent-replayed" not in retried.headers
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]
    [stored] = await rows(session_factory, IdempotentRequest)
    assert (stored.status_code, json.loads(stored.response_body)) == (202, retried.json())


async def test_a_repeat_while_the_first_still_runs_is_a_409_with_retry_after(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    body = raw(cart_body())
    await add_claim(session_factory, key="k-busy", body=body, age=timedelta(seconds=1))

    response = await api.put(CART_URL, content=body, headers={**JSON, **keyed("k-busy")})

    assert response.status_code == 409
    assert "still in progress" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_concurrent_repeats_start_one_journey(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    body = cart_body()

    answers = await asyncio.gather(
        *(api.put(CART_URL, json=body, headers=keyed("k-race")) for _ in range(5))
    )

    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(202) >= 1 and set(codes) <= {202, 409}, codes
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


@pytest.mark.parametrize(
    ("age", "status_code"),
    [(timedelta(minutes=5), None), (timedelta(hours=25), 202)],
    ids=["claim whose request died", "answer past retention"],
)
async def test_a_stale_claim_or_an_expired_answer_gives_the_key_to_the_next_request(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    age: timedelta,
    status_code: int | None,
) -> None:
    body = raw(cart_body())
    await add_claim(session_factory, key="k-old", body=body, age=age, status_code=status_code)

    response = await api.put(CART_URL, content=body, headers={**JSON, **keyed("k-old")})

    assert (response.status_code, response.json()["status"]) == (202, "accepted")
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]
    [stored] = await rows(session_factory, IdempotentRequest)
    assert stored.status_code == 202
    assert stored.created_at > datetime.now(UTC) - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("key", "problem"),
    [("k" * 256, "at most 255 characters, not 256"), ("", "must not be empty")],
    ids=["too long", "empty"],
)
async def test_a_key_too_long_or_empty_is_refused_naming_the_header(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    key: str,
    problem: str,
) -> None:
    response = await api.put(CART_URL, json=cart_body(), headers=keyed(key))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "Idempotency-Key", "problem": problem}]
    assert await rows(session_factory, IdempotentRequest) == []
    assert await rows(session_factory, Cart) == []


async def test_without_an_api_key_the_answer_is_401_and_nothing_is_stored(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await anonymous.put(CART_URL, json=cart_body(), headers=keyed("k-1"))

    assert response.status_code == 401
    assert await rows(session_factory, IdempotentRequest) == []


async def test_keys_belong_to_a_shop(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await add_shop(session_factory, shop="other_shop", key="other-key")

    mine = await api.put(CART_URL, json=cart_body(), headers=keyed("k-1"))
    theirs = await api.put(
        CART_URL,
        json=cart_body(shop="other_shop"),
        headers={**keyed("k-1"), "Authorization": "Bearer other-key"},
    )

    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert "idempotent-replayed" not in theirs.headers
    assert await workflow_exists(temporal_env.client, "cart-other_shop-abc")


async def test_a_4xx_is_kept_too_so_a_corrected_request_needs_a_new_key(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    bad = {**cart_body(), "currency": "try"}

    first = await api.put(CART_URL, json=bad, headers=keyed("k-bad"))
    again = await api.put(CART_URL, json=bad, headers=keyed("k-bad"))
    corrected = await api.put(CART_URL, json=cart_body(), headers=keyed("k-bad"))

    assert (first.status_code, again.status_code) == (422, 422)
    assert (again.json(), again.headers["idempotent-replayed"]) == (first.json(), "true")
    assert corrected.status_code == 409
    assert await rows(session_factory, Cart) == []


async def test_without_the_header_nothing_is_stored(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.put(CART_URL, json=cart_body())

    assert response.status_code == 202
    assert await rows(session_factory, IdempotentRequest) == []


async def test_a_request_whose_claim_was_taken_over_can_not_overwrite_the_new_answer(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    fingerprint = Fingerprint(method="PUT", path=CART_URL, body_digest="d")
    died_at = datetime.now(UTC) - timedelta(minutes=5)
    now = datetime.now(UTC)
    limits = {
        "expired_before": now - timedelta(hours=24),
        "stale_before": now - timedelta(minutes=1),
    }
    async with session_factory() as session:
        for claimed_at in (died_at, now):  # the first request hangs; a retry takes over
            assert await stored_requests.claim(
                session, shop=SHOP, key="k", fingerprint=fingerprint, now=claimed_at, **limits
            )
            await session.commit()

        late = await stored_requests.record_answer(
            session, shop=SHOP, key="k", claimed_at=died_at, status_code=202, response_body="{}"
        )
        await stored_requests.release(session, shop=SHOP, key="k", claimed_at=died_at)
        await session.commit()

    assert late is False
    [row] = await rows(session_factory, IdempotentRequest)
    assert (row.created_at, row.status_code) == (now, None)  # still the retry's claim
