"""Who may call the API, and whether it says it is healthy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from storage.models import Cart
from tests.support.api import (
    API_KEY,
    CART,
    SHOP,
    WORKFLOW_ID,
    cart_body,
    client_without_temporal,
    http_client,
    order_body,
    unreachable_database_url,
)
from tests.support.histories import workflow_exists
from tests.support.tables import rows
from tracking.unsubscribe import UnsubscribePayload, unsubscribe_url

POSTMARK = ("postmark-user", "postmark-password")

PROTECTED = [
    ("PUT", f"/v1/carts/{CART}", cart_body()),
    ("DELETE", f"/v1/carts/{CART}?shop={SHOP}", None),
    ("GET", f"/v1/carts/{CART}/journey?shop={SHOP}", None),
    ("POST", "/v1/orders", order_body()),
]


@pytest.mark.parametrize(("method", "url", "body"), PROTECTED)
async def test_a_request_without_the_api_key_is_refused(
    anonymous: httpx.AsyncClient, method: str, url: str, body: Any
) -> None:
    response = await anonymous.request(method, url, json=body)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-key", "Bearer test-api-key-and-more", "Basic dGVzdA==", "test-api-key"],
)
async def test_a_wrong_api_key_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    authorization: str,
) -> None:
    response = await anonymous.put(
        f"/v1/carts/{CART}", json=cart_body(), headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await rows(session_factory, Cart) == []
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_health_needs_no_key_and_checks_the_database_and_temporal(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_without_temporal_health_answers_503_naming_it(
    settings: Settings, db_engine: AsyncEngine
) -> None:
    async with client_without_temporal(settings, db_engine) as client:
        response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "temporal": "unreachable"}


async def test_openapi_documents_the_cart_body_with_its_example(
    anonymous: httpx.AsyncClient,
) -> None:
    spec = (await anonymous.get("/openapi.json")).json()

    put = spec["paths"]["/v1/carts/{cart_id}"]["put"]
    example = put["requestBody"]["content"]["application/json"]["examples"]["cart"]["value"]
    assert example["customer"]["timezone"] == "Europe/Istanbul"
    assert put["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/t/c/{token}"]["get"]


def _unreachable_database(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "database_url": unreachable_database_url(),
            "postmark_webhook_user": POSTMARK[0],
            "postmark_webhook_password": SecretStr(POSTMARK[1]),
        }
    )


def _unsubscribe_path(settings: Settings) -> str:
    payload = UnsubscribePayload(
        shop=SHOP,
        channel="email",
        address="ayse@example.com",
        workflow_id=WORKFLOW_ID,
        run_id="run-1",
        message_id="r1",
    )
    url = unsubscribe_url(settings.public_url, settings.secret_key.get_secret_value(), payload)
    return url.removeprefix(settings.public_url)


# Every route that stores an event before answering; each must refuse it while it can not.
STORING = [
    ("PUT", f"/v1/carts/{CART}", {"json": cart_body()}),
    ("DELETE", f"/v1/carts/{CART}", {}),
    ("POST", "/v1/orders", {"json": order_body()}),
    (
        "PUT",
        "/v1/customers/c-1/consent",
        {"json": {"consent": {"email": False}, "updated_at": "2026-11-22T10:00:00Z"}},
    ),
    (
        "POST",
        "/webhooks/postmark",
        {"json": {"RecordType": "Open", "MessageID": "m-1"}, "auth": POSTMARK},
    ),
    ("POST", "unsubscribe", {"data": {"List-Unsubscribe": "One-Click"}}),
]


@pytest.mark.parametrize(
    ("method", "path", "request_args"), STORING, ids=[f"{m} {p}" for m, p, _ in STORING]
)
async def test_without_a_database_health_and_every_intake_answer_503_with_retry_after(
    settings: Settings,
    temporal_env: WorkflowEnvironment,
    method: str,
    path: str,
    request_args: dict[str, Any],
) -> None:
    unreachable = _unreachable_database(settings)
    if path == "unsubscribe":
        path = _unsubscribe_path(unreachable)
    app = create_app(unreachable, temporal_client=temporal_env.client)
    async with (
        app.router.lifespan_context(app),
        http_client(app, Authorization=f"Bearer {API_KEY}") as client,
    ):
        health = await client.get("/healthz")
        response = await client.request(method, path, **request_args)

    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable", "temporal": "ok"}
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "database" in response.json()["detail"]
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)
