"""The customer's consent, from every cart snapshot and from its own endpoint: the newest
statement by the shop's clock wins, whichever cart or call it came with."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from contract.carts import Consent
from storage.consents import current_consent
from storage.models import ConsentRecord
from tests.factories import add_shop, make_customer
from tests.support.api import SHOP, cart_body, order_body
from tests.support.tables import rows

CONSENT_URL = f"/v1/customers/c-1/consent?shop={SHOP}"


async def consent_of(
    sessions: async_sessionmaker[AsyncSession], customer_id: str = "c-1"
) -> dict[str, bool | None]:
    async with sessions() as session:
        return {
            channel: await current_consent(
                session, shop=SHOP, customer_id=customer_id, channel=channel
            )
            for channel in ("email", "sms", "push")
        }


def cart_with(consent: Consent, *, minutes: int) -> dict[str, Any]:
    return cart_body(minutes=minutes, customer=make_customer(consent=consent))


def statement(*, minutes: int, **channels: bool) -> dict[str, Any]:
    return {"consent": channels, "updated_at": f"2026-11-22T10:{minutes:02d}:00Z"}


async def test_a_cart_snapshot_records_the_customers_consent(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.put(
        "/v1/carts/abc", json=cart_with(Consent(email=True, sms=True), minutes=0)
    )

    assert response.status_code == 202
    assert await consent_of(session_factory) == {"email": True, "sms": True, "push": False}


async def test_the_newest_snapshot_wins_across_carts_whatever_the_arrival_order(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # cart "b" withdrew email at 10:10; cart "a", older (10:05), arrives after it
    await api.put("/v1/carts/b", json=cart_with(Consent(email=False, sms=True), minutes=10))
    await api.put("/v1/carts/a", json=cart_with(Consent(email=True), minutes=5))

    assert await consent_of(session_factory) == {"email": False, "sms": True, "push": False}

    await api.put("/v1/carts/a", json=cart_with(Consent(email=True), minutes=15))

    assert await consent_of(session_factory) == {"email": True, "sms": False, "push": False}


async def test_a_stale_snapshot_of_the_same_cart_does_not_win(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.put("/v1/carts/abc", json=cart_with(Consent(email=False), minutes=10))
    stale = await api.put("/v1/carts/abc", json=cart_with(Consent(email=True), minutes=5))

    assert stale.json()["status"] == "stale"
    assert (await consent_of(session_factory))["email"] is False


async def test_a_snapshot_of_a_bought_cart_still_states_consent(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put("/v1/carts/abc", json=cart_with(Consent(email=True), minutes=0))
    await api.post("/v1/orders", json=order_body())

    bought = await api.put("/v1/carts/abc", json=cart_with(Consent(email=False), minutes=5))

    assert bought.json()["status"] == "purchased"
    assert (await consent_of(session_factory))["email"] is False


async def test_the_consent_endpoint_records_a_newer_statement(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.put("/v1/carts/abc", json=cart_with(Consent(email=True, sms=True), minutes=0))

    response = await api.put(CONSENT_URL, json=statement(minutes=30, email=False, sms=True))

    assert response.status_code == 204
    assert await consent_of(session_factory) == {"email": False, "sms": True, "push": False}


async def test_an_older_statement_does_not_undo_a_newer_one(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.put(CONSENT_URL, json=statement(minutes=30, email=False))
    older_call = await api.put(CONSENT_URL, json=statement(minutes=20, email=True, push=True))
    older_cart = await api.put("/v1/carts/abc", json=cart_with(Consent(email=True), minutes=10))

    assert (older_call.status_code, older_cart.status_code) == (204, 202)
    assert await consent_of(session_factory) == {"email": False, "sms": False, "push": False}


async def test_consent_is_kept_per_customer_and_shop(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="other_shop", key="other-key")
    await api.put(CONSENT_URL, json=statement(minutes=0, email=True))
    await api.put(
        "/v1/customers/c-2/consent",
        json=statement(minutes=5),
        headers={"Authorization": "Bearer other-key"},
    )

    assert {
        (r.shop, r.customer_id, r.channel, r.granted)
        for r in await rows(session_factory, ConsentRecord)
        if r.channel == "email"
    } == {
        (SHOP, "c-1", "email", True),
        ("other_shop", "c-2", "email", False),
    }


async def test_the_consent_endpoint_needs_the_api_key(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await anonymous.put(CONSENT_URL, json=statement(minutes=0, email=True))

    assert response.status_code == 401
    assert await rows(session_factory, ConsentRecord) == []


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            CONSENT_URL,
            {"consent": {"email": True}, "updated_at": "2026-11-22T10:00:00"},
            "updated_at",
        ),
        (CONSENT_URL, {"consent": {"email": True}}, "updated_at"),
        (
            CONSENT_URL,
            {"consent": {"fax": True}, "updated_at": "2026-11-22T10:00:00Z"},
            "consent.fax",
        ),
        (
            CONSENT_URL,
            {"consent": {"email": "maybe"}, "updated_at": "2026-11-22T10:00:00Z"},
            "consent.email",
        ),
        ("/v1/customers/c-1/consent?shop=a-b", statement(minutes=0, email=True), "shop"),
    ],
    ids=["naive time", "no time", "unknown channel", "not a bool", "bad shop"],
)
async def test_a_bad_statement_is_a_422_naming_the_field(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    url: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await api.put(url, json=body)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await rows(session_factory, ConsentRecord) == []
