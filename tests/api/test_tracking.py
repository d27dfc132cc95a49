"""Open pixels and click links: signed, recorded once, told to the exact run, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from storage.models import EngagementEvent
from tests.support.api import CART, SHOP, WORKFLOW_ID
from tests.support.engagement import assert_nothing_told
from tests.support.histories import engagement_signals
from tests.support.links import CHECKOUT_URL, message_links
from tests.support.tables import rows
from tracking.tokens import TRACKING_DOMAIN, TrackingPayload, encode_part, mac, sign

CHECKOUT = CHECKOUT_URL
PRODUCT = "https://shop.example/p/1"


def links(settings: Settings, run_id: str, *, secret: str | None = None) -> Any:
    return message_links(
        public_url=settings.public_url,
        secret=secret or settings.secret_key.get_secret_value(),
        run_id=run_id,
        item_urls={"SKU-1": PRODUCT},
    )


def path(url: str) -> str:
    return url.removeprefix("http://cartnudge.test")


def assert_pixel(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response.headers["cache-control"]


async def test_an_open_is_recorded_once_and_told_to_the_run(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    pixel = path(links(settings, run_id).open_pixel_url)

    first = await anonymous.get(pixel)
    again = await anonymous.get(pixel)  # mail clients load images more than once

    assert_pixel(first)
    assert_pixel(again)
    [event] = await rows(session_factory, EngagementEvent)
    assert (event.kind, event.message_id, event.run_id, event.url) == ("opened", "r1", run_id, None)
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "opened", None)
    ]


@pytest.mark.parametrize("token", ["garbage", "a.b", "x" * 5000, "%00"])
@pytest.mark.usefixtures("run_id")
async def test_a_bad_open_token_still_gets_the_pixel_and_counts_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    token: str,
) -> None:
    response = await anonymous.get(f"/t/o/{token}")

    assert_pixel(response)
    await assert_nothing_told(session_factory, temporal_env.client)


async def test_a_click_is_recorded_told_and_redirected_to_the_signed_url(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    tracked = links(settings, run_id)

    checkout = await anonymous.get(path(tracked.checkout_url))
    product = await anonymous.get(path(tracked.item_urls["SKU-1"]))

    assert (checkout.status_code, checkout.headers["location"]) == (302, CHECKOUT)
    assert (product.status_code, product.headers["location"]) == (302, PRODUCT)
    [event] = await rows(session_factory, EngagementEvent)  # the first click of r1 counts
    assert (event.kind, event.url) == ("clicked", CHECKOUT)
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "clicked", None)
    ]


async def test_a_click_on_a_finished_journey_still_redirects(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    await temporal_env.client.get_workflow_handle(WORKFLOW_ID).terminate("journey over")

    response = await anonymous.get(path(links(settings, run_id).checkout_url))

    assert (response.status_code, response.headers["location"]) == (302, CHECKOUT)
    assert len(await rows(session_factory, EngagementEvent)) == 1


def forged_tokens(settings: Settings, run_id: str) -> dict[str, str]:
    genuine = path(links(settings, run_id).checkout_url).removeprefix("/t/c/")
    payload_part, mac = genuine.split(".")
    evil = TrackingPayload(
        shop=SHOP,
        cart_id=CART,
        workflow_id=WORKFLOW_ID,
        run_id=run_id,
        message_id="r1",
        kind="click",
        url="https://evil.example/phish",
    )
    evil_part = sign(evil, "x").split(".")[0]
    return {
        "url swapped, signature kept": f"{evil_part}.{mac}",
        "signed with another secret": sign(evil, "not-our-secret"),
        "signature cut": payload_part,
        "signature altered": f"{payload_part}.{mac[:-2]}AA",
        "open token on the click route": path(links(settings, run_id).open_pixel_url).removeprefix(
            "/t/o/"
        ),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "url swapped, signature kept",
        "signed with another secret",
        "signature cut",
        "signature altered",
        "open token on the click route",
    ],
)
async def test_a_tampered_click_link_gets_400_and_goes_nowhere(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    forgery: str,
    run_id: str,
) -> None:
    token = forged_tokens(settings, run_id)[forgery]

    response = await anonymous.get(f"/t/c/{token}")

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/plain")
    assert "evil.example" not in response.text
    await assert_nothing_told(session_factory, temporal_env.client)


async def test_a_click_with_a_signed_non_web_url_is_refused(
    anonymous: httpx.AsyncClient, settings: Settings
) -> None:
    # Only our send activity signs links, but a bad URL in a cart must not become a redirect:
    # even a correctly signed payload carrying one is refused.
    payload = {
        "shop": SHOP, "cart_id": CART, "workflow_id": WORKFLOW_ID, "run_id": "r",
        "message_id": "r1", "kind": "click", "url": "javascript:alert(1)",
    }  # fmt: skip
    payload_part = encode_part(json.dumps(payload).encode())
    secret = settings.secret_key.get_secret_value()
    token = f"{payload_part}.{mac(TRACKING_DOMAIN, payload_part, secret)}"

    response = await anonymous.get(f"/t/c/{token}")

    assert response.status_code == 400
    assert "location" not in response.headers
