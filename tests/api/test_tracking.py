"""Open pixels and click links: signed, recorded once, told to the exact run, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from storage.models import EngagementEvent
from storage.short_links import ShortLinks
from tests.support.api import CART, SHOP, WORKFLOW_ID, http_client, unreachable_database_url
from tests.support.engagement import assert_nothing_told
from tests.support.histories import engagement_signals
from tests.support.links import CHECKOUT_URL, message_links, message_short_links, short_ids
from tests.support.tables import rows
from tracking.short_links import short_id
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


# --- short links, as SMS and push carry them ------------------------------------------------


async def sent_short_links(
    settings: Settings, run_id: str, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    """Message r1's short checkout and product links, stored as the send activity stores
    them; their paths."""
    tracked = message_short_links(
        public_url=settings.public_url,
        secret=settings.secret_key.get_secret_value(),
        run_id=run_id,
        item_urls={"SKU-1": PRODUCT},
    )
    await ShortLinks(session_factory).store(tracked.short_links)
    return path(tracked.links.checkout_url), path(tracked.links.item_urls["SKU-1"])


async def test_a_short_link_is_the_same_click_as_its_signed_link(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    checkout_link, product_link = await sent_short_links(settings, run_id, session_factory)
    assert checkout_link.startswith("/t/s/") and len(checkout_link) == len("/t/s/") + 12

    checkout = await anonymous.get(checkout_link)
    product = await anonymous.get(product_link)

    assert (checkout.status_code, checkout.headers["location"]) == (302, CHECKOUT)
    assert (product.status_code, product.headers["location"]) == (302, PRODUCT)
    assert "no-store" in checkout.headers["cache-control"]
    [event] = await rows(session_factory, EngagementEvent)  # the first click of r1 counts
    assert (event.kind, event.message_id, event.run_id, event.url) == (
        "clicked",
        "r1",
        run_id,
        CHECKOUT,
    )
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "clicked", None)
    ]


def assert_goes_nowhere(response: httpx.Response, status_code: int) -> None:
    assert response.status_code == status_code
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/plain")
    assert "evil.example" not in response.text
    assert "Please" in response.text  # a sentence for the customer, not an error page


@pytest.mark.parametrize("id_", ["AAAAAAAAAAAA", "short", "x" * 5000, "%00", "AAAAAAAAAAA."])
@pytest.mark.usefixtures("run_id")
async def test_a_short_link_we_never_gave_out_is_a_404_in_words(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    id_: str,
) -> None:
    response = await anonymous.get(f"/t/s/{id_}")

    assert_goes_nowhere(response, 404)
    assert "does not exist" in response.text
    await assert_nothing_told(session_factory, temporal_env.client)


def forged_short_links(settings: Settings, run_id: str) -> dict[str, tuple[str, str]]:
    """Pairs of id and token nobody but the send activity should have stored."""
    secret = settings.secret_key.get_secret_value()
    genuine = path(links(settings, run_id).checkout_url).removeprefix("/t/c/")
    forged = forged_tokens(settings, run_id)["signed with another secret"]
    return {
        # our id for a token we did not sign: the id alone is no signature
        "a forged token behind our id": (short_id(forged, secret), forged),
        # a genuine token behind an id that is not its own (a row written by hand)
        "an id that is not the token's": ("AAAAAAAAAAAA", genuine),
        "an id made with another secret": (short_id(genuine, "not-our-secret"), genuine),
    }


@pytest.mark.parametrize(
    ("forgery", "status_code"),
    [
        ("a forged token behind our id", 400),
        ("an id that is not the token's", 404),
        ("an id made with another secret", 404),
    ],
)
async def test_a_forged_short_link_goes_nowhere(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
    forgery: str,
    status_code: int,
) -> None:
    id_, token = forged_short_links(settings, run_id)[forgery]
    await ShortLinks(session_factory).store({id_: token})

    response = await anonymous.get(f"/t/s/{id_}")

    assert_goes_nowhere(response, status_code)
    await assert_nothing_told(session_factory, temporal_env.client)


async def test_without_the_database_a_short_link_asks_to_try_again(
    settings: Settings, temporal_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = settings.model_copy(update={"database_url": unreachable_database_url()})
    app = create_app(unreachable, temporal_client=temporal_env.client)
    tracked = message_short_links(
        public_url=settings.public_url, secret=settings.secret_key.get_secret_value(), run_id="r"
    )
    [id_] = short_ids(tracked.links.checkout_url)
    async with app.router.lifespan_context(app), http_client(app) as client:
        response = await client.get(f"/t/s/{id_}")
        signed = await client.get(
            path(
                message_links(
                    public_url=settings.public_url,
                    secret=settings.secret_key.get_secret_value(),
                    run_id="r",
                ).checkout_url
            )
        )

    assert_goes_nowhere(response, 503)
    assert "try again" in response.text
    assert response.headers["retry-after"]
    assert f"short link {id_} not looked up" in caplog.text
    assert signed.status_code == 302  # a signed link needs no database to answer
