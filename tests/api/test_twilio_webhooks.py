"""Twilio's calls: signed over our public URL; status callbacks tell deliveries and dead
numbers, and a STOP reply suppresses the number for every shop that texted it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.routes.twilio import is_stop
from api.webhook_signatures import twilio_signature
from storage.models import EngagementEvent, ProviderEvent, Suppression
from tests.factories import add_shop
from tests.support.api import SHOP, WORKFLOW_ID, running_cart
from tests.support.engagement import assert_nothing_recorded
from tests.support.histories import engagement_signals
from tests.support.tables import add_message, as_tuples, rows
from workflows.client import cart_workflow_id

TOKEN = "twilio-auth-token-for-tests"
# Not the URL the test client calls (http://cartnudge.test): behind a proxy, Twilio signs
# the public URL, and that is the one to check.
PUBLIC_URL = "https://hooks.shop.example"
NUMBER = "+905321234567"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


pytestmark = pytest.mark.settings(twilio_auth_token=TOKEN, public_url=PUBLIC_URL)


async def twilio_post(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    token: str = TOKEN,
    signature: str | None = None,
) -> httpx.Response:
    """POST the form as Twilio would, signed over `signed_url` (default: the public URL)."""
    url = signed_url or PUBLIC_URL + path
    headers = {
        "X-Twilio-Signature": signature or twilio_signature(token, url, params.items()),
    }
    return await client.post(path, data=params, headers=headers)


def status_path(key: str) -> str:
    return f"/webhooks/twilio/status?key={quote(key, safe='')}"


def callback(status: str, error: str | None = None, sid: str = "SM1") -> dict[str, str]:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1", "To": NUMBER}
    if error:
        params["ErrorCode"] = error
    return params


async def sms_message(sessions: async_sessionmaker[AsyncSession], run_id: str) -> str:
    """The outbox row of the SMS the run sent to NUMBER: its key."""
    row = await add_message(
        sessions,
        run_id=run_id,
        channel="sms",
        recipient=NUMBER,
        provider="twilio",
        provider_message_id="SM1",
    )
    return row.key


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        ("delivered", None, "delivered"),
        ("undelivered", "30003", "bounced"),  # unreachable handset
        ("failed", "30005", "bounced"),  # unknown number
        ("undelivered", "30006", "bounced"),  # landline
        ("undelivered", "30007", None),  # carrier filtering: not the number's fault
        ("failed", "30008", None),
        ("queued", None, None),
        ("sent", None, None),
    ],
)
async def test_a_status_callback_is_mapped_recorded_and_told(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    status: str,
    error: str | None,
    kind: str | None,
    run_id: str,
) -> None:
    key = await sms_message(session_factory, run_id)

    response = await twilio_post(anonymous, status_path(key), callback(status, error))

    assert response.status_code == 200
    kinds = {(kind,)} if kind else set()
    assert as_tuples(await rows(session_factory, EngagementEvent), "kind") == kinds
    suppressions = as_tuples(
        await rows(session_factory, Suppression), "shop", "channel", "address", "reason", "source"
    )
    assert suppressions == (
        {(SHOP, "sms", NUMBER, "bounced", "twilio")} if kind == "bounced" else set()
    )
    told = await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id)
    assert told == ([("r1", kind, "sms")] if kind else [])


async def test_a_status_callback_delivered_twice_counts_once(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    run_id: str,
) -> None:
    key = await sms_message(session_factory, run_id)

    for _ in range(2):
        response = await twilio_post(anonymous, status_path(key), callback("delivered"))
        assert response.status_code == 200

    assert len(await rows(session_factory, ProviderEvent)) == 1
    assert len(await rows(session_factory, EngagementEvent)) == 1
    assert len(await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id)) == 1


async def test_without_our_key_the_message_sid_finds_the_message(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    run_id: str,
) -> None:
    await sms_message(session_factory, run_id)

    response = await twilio_post(anonymous, "/webhooks/twilio/status", callback("delivered"))

    assert response.status_code == 200
    assert as_tuples(await rows(session_factory, EngagementEvent), "kind") == {("delivered",)}


def forgeries(path: str) -> dict[str, dict[str, Any]]:
    """How `twilio_post` signs each forgery, by name."""
    return {
        "signed over the internal URL": {"signed_url": "http://cartnudge.test" + path},
        "signed with another token": {"token": "not-our-token"},
        "other query": {"signed_url": PUBLIC_URL + path + "x"},
        "not a signature": {"signature": "garbage"},
    }


FORGERIES = [
    "no signature",
    "signed over the internal URL",
    "signed with another token",
    "other query",
    "not a signature",
    "param changed",
]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_an_unsigned_or_tampered_status_callback_gets_401_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    forgery: str,
    run_id: str,
) -> None:
    key = await sms_message(session_factory, run_id)
    path, params = status_path(key), callback("undelivered", "30003")

    if forgery == "param changed":
        signature = twilio_signature(TOKEN, PUBLIC_URL + path, callback("delivered").items())
        response = await twilio_post(anonymous, path, params, signature=signature)
    elif forgery == "no signature":
        response = await anonymous.post(path, data=params)
    else:
        response = await twilio_post(anonymous, path, params, **forgeries(path)[forgery])

    assert response.status_code == 401
    await assert_nothing_recorded(session_factory, temporal_env.client, run_id)


# --- STOP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        " Stop \n",
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "end",
        "QUIT",
        "quıt",
        "RET",
        "ret",
        "IPTAL",
        "iptal",
        "İPTAL",
        "İptal",
        "ıptal",
        "i\u0307ptal",
    ],
)
def test_opt_out_words_are_recognised_in_any_case_turkish_too(body: str) -> None:
    assert is_stop(body)


@pytest.mark.parametrize("body", ["", "hello", "stop it", "STOPP", "iptal et", "STOP."])
def test_other_replies_are_not_opt_outs(body: str) -> None:
    assert not is_stop(body)


def inbound(body: str, number: str = NUMBER) -> dict[str, str]:
    return {
        "MessageSid": "SMin1",
        "AccountSid": "AC1",
        "From": number,
        "To": "+15550001111",
        "Body": body,
    }


async def test_stop_suppresses_the_number_for_every_shop_and_tells_each_journey(
    anonymous: httpx.AsyncClient,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    run_a = await running_cart(api, temporal_env.client)
    await add_shop(session_factory, shop="other_shop", key="other-key")
    run_b = await running_cart(api, temporal_env.client, shop="other_shop", api_key="other-key")
    for message_id in ("s1", "s2"):  # two SMS in one journey: the latest one hears of it
        await add_message(
            session_factory,
            run_id=run_a,
            message_id=message_id,
            channel="sms",
            recipient=NUMBER,
            provider="twilio",
        )
    await add_message(
        session_factory,
        run_id=run_b,
        message_id="s1",
        shop="other_shop",
        channel="sms",
        recipient=NUMBER,
        provider="twilio",
    )
    await add_message(session_factory, run_id=run_a, message_id="e1")  # an email: not this

    response = await twilio_post(anonymous, "/webhooks/twilio/inbound", inbound(" İptal "))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    suppressions = await rows(session_factory, Suppression)
    assert as_tuples(suppressions, "shop", "channel", "address", "reason", "source") == {
        (SHOP, "sms", NUMBER, "unsubscribed", "twilio-stop"),
        ("other_shop", "sms", NUMBER, "unsubscribed", "twilio-stop"),
    }
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_a) == [
        ("s2", "unsubscribed", "sms")
    ]
    other = cart_workflow_id("other_shop", "abc")
    assert await engagement_signals(temporal_env.client, other, run_b) == [
        ("s1", "unsubscribed", "sms")
    ]

    again = await twilio_post(anonymous, "/webhooks/twilio/inbound", inbound("STOP"))

    assert again.status_code == 200
    assert len(await rows(session_factory, Suppression)) == 2
    assert len(await engagement_signals(temporal_env.client, WORKFLOW_ID, run_a)) == 1


@pytest.mark.parametrize(
    ("body", "number"), [("Merhaba, ne zaman gelir?", NUMBER), ("STOP", "+905559999999")]
)
async def test_another_reply_or_a_stranger_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    body: str,
    number: str,
    run_id: str,
) -> None:
    await sms_message(session_factory, run_id)

    response = await twilio_post(anonymous, "/webhooks/twilio/inbound", inbound(body, number))

    assert (response.status_code, response.text) == (200, EMPTY_TWIML)
    assert await rows(session_factory, Suppression) == []
    assert await rows(session_factory, EngagementEvent) == []
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == []


@pytest.mark.parametrize(
    "forgery", ["no signature", "signed over the internal URL", "signed with another token"]
)
async def test_an_unsigned_stop_gets_401_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    forgery: str,
    run_id: str,
) -> None:
    await sms_message(session_factory, run_id)
    path, params = "/webhooks/twilio/inbound", inbound("STOP")

    if forgery == "no signature":
        response = await anonymous.post(path, data=params)
    else:
        response = await twilio_post(anonymous, path, params, **forgeries(path)[forgery])

    assert response.status_code == 401
    assert await rows(session_factory, Suppression) == []
    assert await engagement_signals(temporal_env.client, WORKFLOW_ID, run_id) == []


@pytest.mark.settings(twilio_auth_token=None)
async def test_without_an_auth_token_twilio_calls_are_refused(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await twilio_post(anonymous, "/webhooks/twilio/inbound", inbound("STOP"))

    assert response.status_code == 503
