"""While Temporal is unreachable: 503 with Retry-After for the shop and the providers (who
retry), nothing lost, and the customer's pixel and click links keep working."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.webhook_signatures import twilio_signature
from settings import Settings
from storage.models import Cart, EngagementEvent, Order, ProviderEvent
from tests.support.api import CART, SHOP, WORKFLOW_ID, cart_body, order_body
from tests.support.histories import engagement_signals, signals
from tests.support.links import message_links
from tests.support.tables import add_message, rows

POSTMARK = ("postmark-user", "postmark-password")
TWILIO_TOKEN = "twilio-auth-token-for-tests"


# Provider webhooks configured, so their calls get past authentication.
pytestmark = pytest.mark.settings(
    postmark_webhook_user=POSTMARK[0],
    postmark_webhook_password=POSTMARK[1],
    twilio_auth_token=TWILIO_TOKEN,
)


async def test_a_cart_refused_with_503_arrives_when_the_shop_retries(
    api_without_temporal: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    body = cart_body()

    refused = await api_without_temporal.put(f"/v1/carts/{CART}", json=body)

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert "retry" in refused.json()["detail"]
    assert len(await rows(session_factory, Cart)) == 1  # stored before signalling

    retried = await api.put(f"/v1/carts/{CART}", json=body)  # Temporal is back

    assert retried.json()["status"] == "accepted"
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


@pytest.mark.usefixtures("run_id")
async def test_an_order_refused_with_503_reaches_the_workflow_on_retry(
    api_without_temporal: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    refused = await api_without_temporal.post("/v1/orders", json=order_body())
    retried = await api.post("/v1/orders", json=order_body())

    assert (refused.status_code, retried.status_code) == (503, 202)
    assert refused.headers["retry-after"] == "5"
    assert len(await rows(session_factory, Order)) == 1
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


@pytest.mark.usefixtures("run_id")
async def test_an_emptied_cart_refused_with_503_ends_the_journey_on_retry(
    api_without_temporal: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    refused = await api_without_temporal.delete(f"/v1/carts/{CART}")

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    [cart] = await rows(session_factory, Cart)
    assert cart.emptied_at is not None  # stored before signalling
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]

    retried = await api.delete(f"/v1/carts/{CART}")

    assert retried.status_code == 202
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "cart_emptied"]


def _postmark_open(key: str) -> dict[str, Any]:
    body = {"RecordType": "Open", "MessageID": "pm-1", "Metadata": {"cartnudge_key": key}}
    return {"json": body, "auth": POSTMARK}


def _twilio_delivered(key: str) -> dict[str, Any]:
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    signature = twilio_signature(
        TWILIO_TOKEN, f"http://cartnudge.test/webhooks/twilio/status?key={key}", params.items()
    )
    return {"data": params, "headers": {"X-Twilio-Signature": signature}}


@pytest.mark.parametrize(
    ("path", "call", "channel", "kind"),
    [
        ("/webhooks/postmark", _postmark_open, "email", "opened"),
        ("/webhooks/twilio/status", _twilio_delivered, "sms", "delivered"),
    ],
    ids=["postmark", "twilio"],
)
async def test_a_provider_event_refused_with_503_is_told_on_the_providers_retry(
    api_without_temporal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    path: str,
    call: Callable[[str], dict[str, Any]],
    channel: str,
    kind: str,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id, channel=channel, key="k-1")
    url = f"{path}?key={row.key}" if channel == "sms" else path

    refused = await api_without_temporal.post(url, **call(row.key))

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert await rows(session_factory, ProviderEvent) == []  # forgotten: the retry counts
    assert await rows(session_factory, EngagementEvent) == []

    retried = await anonymous.post(url, **call(row.key))

    assert retried.status_code == 200
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", kind, channel)
    ]


async def test_bad_input_is_still_a_422(api_without_temporal: httpx.AsyncClient) -> None:
    response = await api_without_temporal.put(f"/v1/carts/{CART}", json={"shop": SHOP})

    assert response.status_code == 422


async def test_pixel_and_click_work_and_the_open_is_counted_later(
    api_without_temporal: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    links = message_links(secret=settings.secret_key.get_secret_value(), run_id=run_id)
    assert links.open_pixel_url

    pixel = await api_without_temporal.get(links.open_pixel_url)
    click = await api_without_temporal.get(links.checkout_url)

    assert (pixel.status_code, pixel.headers["content-type"]) == (200, "image/gif")
    assert (click.status_code, click.headers["location"]) == (
        302,
        "https://shop.example/checkout/abc",
    )
    # not kept, so that the next load can still tell the workflow
    assert await rows(session_factory, EngagementEvent) == []

    await api.get(links.open_pixel_url)  # the customer opens the mail again, Temporal is back

    assert [e.kind for e in await rows(session_factory, EngagementEvent)] == ["opened"]
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "engagement"]
