"""Postmark's webhooks: only calls with our basic-auth credentials count; each event is
mapped, recorded once, suppresses the address when it must, and is told to the run."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.routes.postmark import PostmarkEvent, engagement_kind
from storage.models import EngagementEvent, ProviderEvent, Suppression
from tests.support.api import SHOP, WORKFLOW_ID
from tests.support.engagement import assert_nothing_recorded
from tests.support.histories import engagement_signals
from tests.support.tables import add_message, as_tuples, rows
from workflows.payloads import EngagementKind

USER, PASSWORD = "postmark-hooks", "a-long-webhook-password"
AUTH = (USER, PASSWORD)


pytestmark = pytest.mark.settings(postmark_webhook_user=USER, postmark_webhook_password=PASSWORD)


def record(record_type: str, key: str | None, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "RecordType": record_type,
        "MessageID": "pm-msg-1",
        "Recipient": "ayse@example.com",
        "Metadata": {"cartnudge_key": key} if key else {},
        **fields,
    }
    return values


async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST the record as Postmark does, with our basic-auth credentials."""
    return await client.post("/webhooks/postmark", json=body, auth=AUTH)


# One of each, as Postmark documents them (trimmed to what matters).
DELIVERY = {"DeliveredAt": "2026-11-22T10:00:01Z"}
OPEN = {"ReceivedAt": "2026-11-22T10:05:00Z", "FirstOpen": True}
CLICK = {"ReceivedAt": "2026-11-22T10:06:00Z", "OriginalLink": "https://shop.example/p/1"}
HARD = {"ID": 4323372036854775807, "Type": "HardBounce", "BouncedAt": "2026-11-22T10:00:02Z"}
SOFT = {"ID": 4323372036854775808, "Type": "SoftBounce", "BouncedAt": "2026-11-22T10:00:02Z"}
SPAM = {"ID": 4323372036854775809, "Type": "SpamComplaint"}
UNSUBSCRIBE = {"ChangedAt": "2026-11-22T10:07:00Z", "SuppressSending": True}
RESUBSCRIBE = {"ChangedAt": "2026-11-22T10:08:00Z", "SuppressSending": False}


@pytest.mark.parametrize(
    ("record_type", "fields", "kind"),
    [
        ("Delivery", DELIVERY, EngagementKind.DELIVERED),
        ("Open", OPEN, EngagementKind.OPENED),
        ("Click", CLICK, EngagementKind.CLICKED),
        ("Bounce", HARD, EngagementKind.BOUNCED),
        ("Bounce", SOFT, None),
        ("Bounce", {**SOFT, "Type": "Transient"}, None),
        ("SpamComplaint", SPAM, EngagementKind.COMPLAINED),
        ("SubscriptionChange", UNSUBSCRIBE, EngagementKind.UNSUBSCRIBED),
        ("SubscriptionChange", RESUBSCRIBE, None),
        ("Inbound", {}, None),
    ],
)
def test_each_postmark_record_maps_to_our_kind(
    record_type: str, fields: dict[str, Any], kind: EngagementKind | None
) -> None:
    assert engagement_kind(PostmarkEvent.model_validate(record(record_type, "k", **fields))) == kind


@pytest.mark.parametrize(
    ("record_type", "fields", "kind", "suppressed"),
    [
        ("Delivery", DELIVERY, "delivered", False),
        ("Open", OPEN, "opened", False),
        ("Click", CLICK, "clicked", False),
        ("Bounce", HARD, "bounced", True),
        ("SpamComplaint", SPAM, "complained", True),
        ("SubscriptionChange", UNSUBSCRIBE, "unsubscribed", True),
    ],
)
async def test_an_authenticated_event_is_recorded_and_told(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    record_type: str,
    fields: dict[str, Any],
    kind: str,
    suppressed: bool,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id, provider="postmark")

    response = await post(anonymous, record(record_type, row.key, **fields))

    assert response.status_code == 200
    [event] = await rows(session_factory, EngagementEvent)
    assert (event.message_id, event.kind) == ("r1", kind)
    assert event.url == (CLICK["OriginalLink"] if kind == "clicked" else None)
    expected = {(SHOP, "email", "ayse@example.com", kind, "postmark")} if suppressed else set()
    suppressions = await rows(session_factory, Suppression)
    assert as_tuples(suppressions, "shop", "channel", "address", "reason", "source") == expected
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", kind, "email")
    ]


@pytest.mark.parametrize(
    ("record_type", "fields"), [("Bounce", SOFT), ("SubscriptionChange", RESUBSCRIBE)]
)
async def test_an_event_we_do_not_track_is_accepted_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    record_type: str,
    fields: dict[str, Any],
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id, provider="postmark")

    response = await post(anonymous, record(record_type, row.key, **fields))

    assert response.status_code == 200
    assert await rows(session_factory, EngagementEvent) == []
    assert await rows(session_factory, Suppression) == []
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == []


async def test_an_event_delivered_twice_counts_once(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id, provider="postmark")
    body = record("Bounce", row.key, **HARD)

    first = await post(anonymous, body)
    again = await post(anonymous, body)

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(await rows(session_factory, ProviderEvent)) == 1
    assert len(await rows(session_factory, EngagementEvent)) == 1
    assert len(await rows(session_factory, Suppression)) == 1
    assert len(await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id)) == 1


async def test_without_our_key_postmarks_message_id_finds_the_message(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    run_id: str,
) -> None:
    await add_message(
        session_factory, run_id=run_id, provider="postmark", provider_message_id="pm-msg-1"
    )

    response = await post(anonymous, record("Open", None, **OPEN))

    assert response.status_code == 200
    assert as_tuples(await rows(session_factory, EngagementEvent), "kind") == {("opened",)}


@pytest.mark.parametrize(
    "auth",
    [None, (USER, "wrong-password"), ("someone", PASSWORD), (USER, ""), (USER, PASSWORD + "x")],
    ids=["none", "wrong password", "wrong user", "empty password", "longer password"],
)
async def test_wrong_or_missing_credentials_get_401_and_change_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    auth: tuple[str, str] | None,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id, provider="postmark")
    body = record("SpamComplaint", row.key, **SPAM)

    if auth is None:
        response = await anonymous.post("/webhooks/postmark", json=body)
    else:
        response = await anonymous.post("/webhooks/postmark", json=body, auth=auth)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Basic"
    await assert_nothing_recorded(session_factory, temporal_env.client, run_id)


@pytest.mark.settings(postmark_webhook_user=None, postmark_webhook_password=None)
async def test_without_configured_credentials_the_webhook_is_unavailable(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await post(anonymous, record("Open", "k", **OPEN))

    assert response.status_code == 503
