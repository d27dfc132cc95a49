"""The unsubscribe link: opening it changes nothing, its button and the mail client's
one-click POST suppress the address, record the unsubscribe and tell the run, once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from storage.models import EngagementEvent, Suppression
from tests.support.api import SHOP, WORKFLOW_ID
from tests.support.engagement import assert_nothing_told
from tests.support.histories import engagement_signals
from tests.support.links import message_links
from tests.support.tables import as_tuples, rows
from tracking.unsubscribe import UnsubscribePayload, sign_unsubscribe, unsubscribe_url

ADDRESS = "Ayse@Example.com"


def link(settings: Settings, run_id: str, *, address: str = ADDRESS) -> str:
    """The path of the unsubscribe link the send activity puts in message r1."""
    payload = UnsubscribePayload(
        shop=SHOP,
        channel="email",
        address=address,
        workflow_id=WORKFLOW_ID,
        run_id=run_id,
        message_id="r1",
    )
    url = unsubscribe_url(settings.public_url, settings.secret_key.get_secret_value(), payload)
    return url.removeprefix(settings.public_url)


async def assert_nothing_changed(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    assert await rows(sessions, Suppression) == []
    await assert_nothing_told(sessions, temporal_env.client)


async def test_opening_the_link_shows_a_button_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    page = await anonymous.get(link(settings, run_id))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "no-store" in page.headers["cache-control"]
    assert '<form method="post">' in page.text
    assert "Unsubscribe" in page.text and "Abonelikten" in page.text
    await assert_nothing_changed(session_factory, temporal_env)


async def test_the_page_escapes_what_the_token_carries(
    anonymous: httpx.AsyncClient,
    settings: Settings,
    run_id: str,
) -> None:
    address = '"<script>alert(1)</script>"@example.com'

    page = await anonymous.get(link(settings, run_id, address=address))
    done = await anonymous.post(link(settings, run_id, address=address))

    for response in (page, done):
        assert "<script>" not in response.text
        assert "&lt;script&gt;" in response.text


async def test_the_button_unsubscribes_and_tells_the_run(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    response = await anonymous.post(link(settings, run_id), data={})

    assert response.status_code == 200
    assert "unsubscribed" in response.text
    [suppression] = await rows(session_factory, Suppression)
    assert (suppression.shop, suppression.channel, suppression.address) == (
        SHOP,
        "email",
        "ayse@example.com",  # stored as one spelling
    )
    assert (suppression.reason, suppression.source) == ("unsubscribed", "link")
    [event] = await rows(session_factory, EngagementEvent)
    assert (event.kind, event.message_id, event.run_id, event.cart_id) == (
        "unsubscribed",
        "r1",
        run_id,
        "abc",
    )
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "unsubscribed", "email")
    ]


async def test_one_click_from_the_mail_client_unsubscribes(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    # RFC 8058: the client POSTs this form body to the List-Unsubscribe URL.
    response = await anonymous.post(link(settings, run_id), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    [suppression] = await rows(session_factory, Suppression)
    assert (suppression.reason, suppression.source) == ("unsubscribed", "one-click")
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "unsubscribed", "email")
    ]


async def test_unsubscribing_again_changes_nothing_more(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    first = await anonymous.post(link(settings, run_id), data={"List-Unsubscribe": "One-Click"})
    again = await anonymous.post(link(settings, run_id))

    assert (first.status_code, again.status_code) == (200, 200)
    [suppression] = await rows(session_factory, Suppression)
    assert suppression.source == "one-click"  # the first reason is kept
    assert len(await rows(session_factory, EngagementEvent)) == 1
    assert len(await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id)) == 1


async def test_unsubscribing_after_the_journey_ended_still_suppresses(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    await temporal_env.client.get_workflow_handle(WORKFLOW_ID).terminate("journey over")

    response = await anonymous.post(link(settings, run_id))

    assert response.status_code == 200
    assert len(await rows(session_factory, Suppression)) == 1


def bad_tokens(settings: Settings, run_id: str) -> dict[str, str]:
    genuine = link(settings, run_id).removeprefix("/u/")
    payload_part, mac = genuine.split(".")
    tracking = message_links(secret=settings.secret_key.get_secret_value(), run_id=run_id)
    other = UnsubscribePayload(
        shop=SHOP,
        channel="email",
        address="victim@example.com",
        workflow_id=WORKFLOW_ID,
        run_id=run_id,
        message_id="r1",
    )
    return {
        "garbage": "garbage",
        # the first character: all its bits count, and the new one surely differs
        "signature altered": f"{payload_part}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}",
        "signed with another secret": sign_unsubscribe(other, "not-our-secret"),
        "tracking token": (tracking.open_pixel_url or "").removeprefix("/t/o/"),
    }


@pytest.mark.parametrize(
    "kind", ["garbage", "signature altered", "signed with another secret", "tracking token"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_bad_token_gets_404_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    kind: str,
    method: str,
    run_id: str,
) -> None:
    token = bad_tokens(settings, run_id)[kind]

    response = await anonymous.request(
        method, f"/u/{token}", data={"List-Unsubscribe": "One-Click"} if method == "POST" else None
    )

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "victim" not in response.text
    await assert_nothing_changed(session_factory, temporal_env)


async def test_while_temporal_is_down_the_unsubscribe_holds_and_a_retry_tells_the_run(
    anonymous_without_temporal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    run_id: str,
) -> None:
    refused_signal = await anonymous_without_temporal.post(link(settings, run_id))

    assert refused_signal.status_code == 200  # the customer is unsubscribed all the same
    assert len(await rows(session_factory, Suppression)) == 1
    assert await rows(session_factory, EngagementEvent) == []  # forgotten: a retry tells

    await anonymous.post(link(settings, run_id))  # the customer presses again, Temporal is up

    assert as_tuples(await rows(session_factory, EngagementEvent), "kind") == {("unsubscribed",)}
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "unsubscribed", "email")
    ]
