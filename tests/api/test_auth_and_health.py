"""Who may call the API, and whether it says it is healthy."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from storage.models import Cart
from tests.api.helpers import (
    API_KEY,
    CART,
    SHOP,
    WORKFLOW_ID,
    cart_body,
    http_client,
    order_body,
    rows,
    workflow_exists,
)

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
    temporal_env: Any,
    authorization: str,
) -> None:
    response = await anonymous.put(
        f"/v1/carts/{CART}", json=cart_body(), headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await rows(session_factory, Cart) == []
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_health_needs_no_key_and_checks_the_database(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_documents_the_cart_body_with_its_example(
    anonymous: httpx.AsyncClient,
) -> None:
    spec = (await anonymous.get("/openapi.json")).json()

    put = spec["paths"]["/v1/carts/{cart_id}"]["put"]
    example = put["requestBody"]["content"]["application/json"]["examples"]["cart"]["value"]
    assert example["customer"]["timezone"] == "Europe/Istanbul"
    assert put["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/t/c/{token}"]["get"]


async def test_without_a_database_health_and_intake_answer_503(
    settings: Any, temporal_env: Any
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = settings.model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing"}
    )
    app = create_app(unreachable, temporal_client=temporal_env.client)
    async with (
        app.router.lifespan_context(app),
        http_client(app, Authorization=f"Bearer {API_KEY}") as client,
    ):
        health = await client.get("/healthz")
        put = await client.put(f"/v1/carts/{CART}", json=cart_body())

    assert health.status_code == 503
    assert health.json()["detail"] == "database unreachable"
    assert put.status_code == 503
    assert "database" in put.json()["detail"]
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)
