"""SendGrid's Event Webhook: only signed batches count; each event is mapped, recorded
once, suppresses the address when it must, and is told to the run that sent the email."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.routes.sendgrid import SendGridEvent, engagement_kind
from storage.models import EngagementEvent, Suppression
from tests.support.api import SHOP, WORKFLOW_ID
from tests.support.engagement import assert_nothing_recorded
from tests.support.histories import engagement_signals
from tests.support.tables import add_message, as_tuples, rows
from workflows.payloads import EngagementKind

PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    PRIVATE_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
TIMESTAMP = "1700000000"


pytestmark = pytest.mark.settings(sendgrid_webhook_public_key=PUBLIC_KEY)


def signed(body: bytes, *, key: ec.EllipticCurvePrivateKey = PRIVATE_KEY) -> dict[str, str]:
    signature = key.sign(TIMESTAMP.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": TIMESTAMP,
        "Content-Type": "application/json",
    }


def event(name: str, event_id: str, message_key: str | None, **fields: Any) -> dict[str, Any]:
    values = {
        "event": name,
        "sg_event_id": event_id,
        "email": "ayse@example.com",
        "timestamp": 1700000000,
        "sg_message_id": "sgmsg.filter0001",
        **fields,
    }
    if message_key is not None:
        values["cartnudge_key"] = message_key
    return values


async def post(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> httpx.Response:
    body = json.dumps(events).encode()
    return await client.post("/webhooks/sendgrid", content=body, headers=signed(body))


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"event": "processed"}, None),
        ({"event": "deferred"}, None),
        ({"event": "delivered"}, EngagementKind.DELIVERED),
        ({"event": "open"}, EngagementKind.OPENED),
        ({"event": "click"}, EngagementKind.CLICKED),
        ({"event": "bounce", "type": "bounce"}, EngagementKind.BOUNCED),
        ({"event": "bounce", "type": "blocked"}, None),  # soft: the mailbox may take it later
        ({"event": "dropped", "reason": "Bounced Address"}, EngagementKind.BOUNCED),
        ({"event": "dropped", "reason": "Unsubscribed Address"}, EngagementKind.UNSUBSCRIBED),
        ({"event": "dropped", "reason": "Spam Reporting Address"}, EngagementKind.COMPLAINED),
        ({"event": "dropped", "reason": "Invalid SMTPAPI header"}, None),
        ({"event": "spamreport"}, EngagementKind.COMPLAINED),
        ({"event": "unsubscribe"}, EngagementKind.UNSUBSCRIBED),
        ({"event": "group_unsubscribe"}, EngagementKind.UNSUBSCRIBED),
        ({"event": "group_resubscribe"}, None),
    ],
)
def test_each_sendgrid_event_maps_to_our_kind(
    fields: dict[str, str], kind: EngagementKind | None
) -> None:
    assert engagement_kind(SendGridEvent(sg_event_id="e", **fields)) == kind


async def test_a_signed_batch_is_recorded_suppressed_and_told(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    keys = {}
    for message_id, address in [
        ("r1", "ayse@example.com"),
        ("r2", "Bounce@Example.com"),
        ("r3", "spam@example.com"),
        ("r4", "bye@example.com"),
        ("r5", "soft@example.com"),
    ]:
        row = await add_message(
            session_factory, run_id=run_id, message_id=message_id, recipient=address
        )
        keys[message_id] = row.key

    response = await post(
        anonymous,
        [
            event("processed", "e0", keys["r1"]),
            event("delivered", "e1", keys["r1"]),
            event("open", "e2", keys["r1"]),
            event("click", "e3", keys["r1"], url="https://shop.example/p/1"),
            event("bounce", "e4", keys["r2"], type="bounce"),
            event("spamreport", "e5", keys["r3"]),
            event("group_unsubscribe", "e6", keys["r4"]),
            event("deferred", "e7", keys["r5"]),
            event("bounce", "e8", keys["r5"], type="blocked"),
        ],
    )

    assert response.status_code == 200
    events = await rows(session_factory, EngagementEvent)
    assert as_tuples(events, "message_id", "kind", "url") == {
        ("r1", "delivered", None),
        ("r1", "opened", None),
        ("r1", "clicked", "https://shop.example/p/1"),
        ("r2", "bounced", None),
        ("r3", "complained", None),
        ("r4", "unsubscribed", None),
    }
    assert as_tuples(
        await rows(session_factory, Suppression), "shop", "channel", "address", "reason", "source"
    ) == {
        (SHOP, "email", "bounce@example.com", "bounced", "sendgrid"),
        (SHOP, "email", "spam@example.com", "complained", "sendgrid"),
        (SHOP, "email", "bye@example.com", "unsubscribed", "sendgrid"),
    }
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "delivered", "email"),
        ("r1", "opened", "email"),
        ("r1", "clicked", "email"),
        ("r2", "bounced", "email"),
        ("r3", "complained", "email"),
        ("r4", "unsubscribed", "email"),
    ]


async def test_an_event_delivered_twice_counts_once(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id)
    batch = [event("open", "e1", row.key), event("open", "e2", row.key)]  # two opens of r1

    first = await post(anonymous, batch)
    again = await post(anonymous, batch)  # SendGrid redelivers

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(await rows(session_factory, EngagementEvent)) == 1
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "opened", "email")
    ]


async def test_a_machine_open_is_recorded_apart_and_not_told_until_a_person_opens(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id)

    # Apple Mail Privacy Protection fetches the pixel: SendGrid flags it.
    await post(anonymous, [event("open", "e1", row.key, sg_machine_open=True)])
    after_machine = await rows(session_factory, EngagementEvent)
    told_after_machine = await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id)
    await post(anonymous, [event("open", "e2", row.key, sg_machine_open=False)])

    assert as_tuples(after_machine, "kind", "machine") == {("opened", True)}
    assert told_after_machine == []  # a `wait_for: opened` does not branch on a machine
    assert as_tuples(await rows(session_factory, EngagementEvent), "kind", "machine") == {
        ("opened", False)
    }
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "opened", "email")
    ]


async def test_without_our_key_the_sendgrid_message_id_finds_the_message(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    run_id: str,
) -> None:
    await add_message(session_factory, run_id=run_id, provider_message_id="x-msg-id")

    response = await post(
        anonymous,
        [event("delivered", "e1", None, sg_message_id="x-msg-id.filterdrecv-5645d9c87f-1.0")],
    )

    assert response.status_code == 200
    assert as_tuples(await rows(session_factory, EngagementEvent), "kind") == {("delivered",)}


@pytest.mark.usefixtures("run_id")
async def test_an_event_about_no_message_of_ours_is_accepted_and_ignored(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    response = await post(anonymous, [event("bounce", "e1", "no-such-key", type="bounce")])

    assert response.status_code == 200
    assert await rows(session_factory, EngagementEvent) == []
    assert await rows(session_factory, Suppression) == []


def forged_headers(body: bytes) -> dict[str, dict[str, str]]:
    genuine = signed(body)
    other_key = signed(body, key=ec.generate_private_key(ec.SECP256R1()))
    return {
        "no signature": {k: v for k, v in genuine.items() if "Signature" not in k},
        "no timestamp": {k: v for k, v in genuine.items() if "Timestamp" not in k},
        "other timestamp": {**genuine, "X-Twilio-Email-Event-Webhook-Timestamp": "1700000001"},
        "other key": other_key,
        "not base64": {**genuine, "X-Twilio-Email-Event-Webhook-Signature": "!!"},
    }


@pytest.mark.parametrize(
    "forgery",
    ["no signature", "no timestamp", "other timestamp", "other key", "not base64", "body changed"],
)
async def test_an_unsigned_or_tampered_batch_gets_401_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    forgery: str,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id)
    body = json.dumps([event("spamreport", "e1", row.key)]).encode()
    if forgery == "body changed":
        headers = signed(body)
        body = body.replace(b"spamreport", b"unsubscribe")
    else:
        headers = forged_headers(body)[forgery]

    response = await anonymous.post("/webhooks/sendgrid", content=body, headers=headers)

    assert response.status_code == 401
    await assert_nothing_recorded(session_factory, temporal_env.client, run_id)


async def test_a_signed_body_that_is_not_an_array_is_a_400(anonymous: httpx.AsyncClient) -> None:
    body = b'{"event": "open"}'

    response = await anonymous.post("/webhooks/sendgrid", content=body, headers=signed(body))

    assert response.status_code == 400


@pytest.mark.settings(sendgrid_webhook_public_key=None)
async def test_without_a_configured_key_the_webhook_is_unavailable(
    anonymous: httpx.AsyncClient,
) -> None:
    body = json.dumps([event("open", "e1", "k")]).encode()
    response = await anonymous.post("/webhooks/sendgrid", content=body, headers=signed(body))

    assert response.status_code == 503  # SendGrid keeps the events and retries


async def test_while_temporal_is_down_sendgrid_gets_503_and_its_retry_is_told(
    anonymous_without_temporal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    row = await add_message(session_factory, run_id=run_id)
    batch = [event("bounce", "e1", row.key, type="bounce")]

    refused = await post(anonymous_without_temporal, batch)

    assert refused.status_code == 503
    assert len(await rows(session_factory, Suppression)) == 1  # kept: never send again
    assert await rows(session_factory, EngagementEvent) == []  # forgotten: the retry tells

    retried = await post(anonymous, batch)  # SendGrid retries; Temporal is back

    assert retried.status_code == 200
    assert len(await rows(session_factory, EngagementEvent)) == 1
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == [
        ("r1", "bounced", "email")
    ]
