"""The send activity against a real SMTP server and database: at most one delivery per step.

Providers across the internet (Twilio, the consent registry, a CRM webhook) are replaced at
the HTTP transport only.
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from channels.webhook import WebhookSender
from sending.consent_registry import ConsentRegistry
from sending.delivery import Provider
from settings import WebhookTarget
from storage.models import ContactCap, Message, ShortLink
from storage.suppressions import suppress
from tests.support.database import checked_out
from tests.support.links import short_ids
from tests.support.messaging import (
    LINKS,
    MAIL_FROM,
    SendActivity,
    send_activity,
    send_request,
    sms_request,
    twilio_provider,
)
from tests.support.smtp import SmtpServer, body_text
from tests.support.tables import rows
from tracking.short_links import belongs_to
from tracking.tokens import verify
from workflows.payloads import Channel, MessageStatus


async def outbox_row(session_factory: async_sessionmaker[AsyncSession]) -> Message:
    async with session_factory() as session:
        [row] = (await session.scalars(select(Message))).all()
    return row


async def test_a_retried_send_never_delivers_twice(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    activities = send_activity(session_factory, smtp_url=smtp_server.url)

    first = await activities.send(send_request())
    again = await activities.send(send_request())  # Temporal retrying after a lost reply

    assert (first.status, again.status) == (MessageStatus.SENT, MessageStatus.SENT)
    [email] = await smtp_server.wait_for_messages(1)
    assert len(smtp_server.messages) == 1
    assert str(email["From"]) == MAIL_FROM
    assert smtp_server.envelopes[0].rcpt_tos == ("ayse@example.com",)
    row = await outbox_row(session_factory)
    assert (row.status, row.recipient, row.locale) == ("sent", "ayse@example.com", "tr")


async def test_an_attempt_that_died_mid_delivery_is_never_resent(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    activities = send_activity(session_factory, smtp_url=smtp_server.url)
    await activities.send(send_request())
    smtp_server.envelopes.clear()
    async with session_factory() as session:  # as if the worker died right after SMTP took it
        await session.execute(update(Message).values(status="sending"))
        await session.commit()

    result = await activities.send(send_request())

    assert result.status == MessageStatus.UNCERTAIN
    assert smtp_server.messages == []
    assert (await outbox_row(session_factory)).status == "uncertain"


async def test_an_unreachable_server_is_retried_and_then_delivers_once(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    # nothing listens on discard
    down = send_activity(session_factory, smtp_url="smtp://127.0.0.1:9")

    with pytest.raises(ApplicationError):
        await down.send(send_request())
    assert (await outbox_row(session_factory)).status == "pending"

    result = await send_activity(session_factory, smtp_url=smtp_server.url).send(send_request())

    assert result.status == MessageStatus.SENT
    assert len(await smtp_server.wait_for_messages(1)) == 1


async def test_a_server_down_for_six_hours_is_given_up_on_and_settled_as_failed(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    down = send_activity(session_factory, smtp_url="smtp://127.0.0.1:9")

    result = await down.send(send_request(), attempt=80, retried_for=timedelta(hours=6))

    assert result.status == MessageStatus.FAILED
    assert result.reason is not None and result.reason.startswith("gave up after 6h: ")
    row = await outbox_row(session_factory)
    assert (row.status, row.reason) == ("failed", result.reason)


async def test_a_mailbox_that_does_not_exist_fails_for_good(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    smtp_server.refuse["ayse@example.com"] = "550 5.1.1 no such mailbox"

    result = await send_activity(session_factory, smtp_url=smtp_server.url).send(send_request())

    assert result.status == MessageStatus.FAILED
    assert result.reason is not None and "550" in result.reason
    assert (await outbox_row(session_factory)).status == "failed"


async def test_a_mailbox_answering_try_later_is_retried(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    smtp_server.refuse["ayse@example.com"] = "451 4.3.0 mailbox busy, try later"

    with pytest.raises(ApplicationError):
        await send_activity(session_factory, smtp_url=smtp_server.url).send(send_request())
    assert (await outbox_row(session_factory)).status == "pending"


# --- every email can be unsubscribed from -------------------------------------------------


async def test_every_email_carries_a_one_click_unsubscribe(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await send_activity(session_factory, smtp_url=smtp_server.url).send(send_request())

    [email] = await smtp_server.wait_for_messages(1)
    link = email["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://cartnudge.test/u/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = body_text(email, "html")
    text = body_text(email, "plain")
    assert link in html and link in text


async def test_a_suppressed_address_is_skipped_with_the_reason(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    async with session_factory() as session:
        await suppress(
            session,
            shop="demo_shop",
            channel="email",
            address="Ayse@Example.com",
            reason="complained",
            source="sendgrid",
        )
        await session.commit()

    result = await send_activity(session_factory, smtp_url=smtp_server.url).send(send_request())

    assert (result.status, result.reason) == (
        MessageStatus.SKIPPED,
        "email: address complained",
    )
    assert smtp_server.messages == []


# --- SMS through Twilio's HTTP API (replaced at the transport) ------------------------------


async def test_twilio_asking_to_slow_down_is_retried_when_it_says(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 20429})

    activities = send_activity(
        session_factory, smtp_url=smtp_server.url, providers={Channel.SMS: twilio_provider(busy)}
    )
    with pytest.raises(ApplicationError) as raised:
        await activities.send(sms_request())

    assert raised.value.next_retry_delay == timedelta(seconds=7)
    row = await outbox_row(session_factory)
    assert (row.status, row.channel, row.provider) == ("pending", "sms", "twilio")


async def test_an_invalid_number_fails_for_good_and_frees_the_cap_slot(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    def invalid(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"code": 21211, "message": "Invalid 'To' Phone Number"})

    activities = send_activity(
        session_factory,
        providers={Channel.SMS: twilio_provider(invalid)},
        caps={Channel.SMS: timedelta(hours=24)},
    )
    result = await activities.send(sms_request(due_at=datetime.now(UTC)))

    assert result.status == MessageStatus.FAILED
    assert result.reason is not None and "21211" in result.reason
    async with session_factory() as session:
        assert (await session.scalars(select(ContactCap))).all() == []


async def test_the_sms_carries_opt_out_instructions(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    sent: list[dict[str, str]] = []

    def accept(request: httpx.Request) -> httpx.Response:
        sent.append(dict(urllib.parse.parse_qsl(request.content.decode())))
        return httpx.Response(201, json={"sid": "SM" + "2" * 32})

    activities = send_activity(
        session_factory, smtp_url=smtp_server.url, providers={Channel.SMS: twilio_provider(accept)}
    )
    result = await activities.send(sms_request())

    assert (result.status, result.channel) == (MessageStatus.SENT, "sms")
    [sms] = sent
    assert sms["To"] == "+905321234567"
    assert sms["Body"].startswith("Sepetin: http://cartnudge.test/t/s/")
    assert "RET" in sms["Body"]
    assert (await outbox_row(session_factory)).provider_message_id == "SM" + "2" * 32


async def test_the_short_link_is_stored_before_twilio_has_the_sms(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    stored_when_sent: list[dict[str, str]] = []
    bodies: list[str] = []

    async def accept(request: httpx.Request) -> httpx.Response:
        bodies.append(dict(urllib.parse.parse_qsl(request.content.decode()))["Body"])
        links = await rows(session_factory, ShortLink)
        stored_when_sent.append({link.id: link.token for link in links})
        return httpx.Response(201, json={"sid": "SM" + "3" * 32})

    activities = send_activity(session_factory, providers={Channel.SMS: twilio_provider(accept)})
    result = await activities.send(sms_request())

    assert result.status == MessageStatus.SENT
    [body], [stored] = bodies, stored_when_sent
    [id_] = short_ids(body)
    assert list(stored) == [id_]  # the one link the text carries, in before the provider
    token = stored[id_]
    assert belongs_to(id_, token, LINKS.secret)
    assert verify(token, LINKS.secret).url == sms_request().cart.checkout_url


async def test_a_retried_sms_keeps_its_short_link_and_stores_it_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    bodies: list[str] = []

    def busy_then_accept(request: httpx.Request) -> httpx.Response:
        bodies.append(dict(urllib.parse.parse_qsl(request.content.decode()))["Body"])
        if len(bodies) == 1:
            return httpx.Response(503, json={"code": 20503, "message": "unavailable"})
        return httpx.Response(201, json={"sid": "SM" + "4" * 32})

    activities = send_activity(
        session_factory, providers={Channel.SMS: twilio_provider(busy_then_accept)}
    )
    with pytest.raises(ApplicationError):
        await activities.send(sms_request())
    result = await activities.send(sms_request(), attempt=2, retried_for=timedelta(minutes=1))

    assert result.status == MessageStatus.SENT
    first, again = bodies
    assert first == again
    [link] = await rows(session_factory, ShortLink)
    assert short_ids(again) == [link.id]


# --- a webhook receiver deduplicates by key, so an interrupted send is repeated ----------


async def test_an_interrupted_webhook_is_repeated_with_the_same_idempotency_key(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    received: list[httpx.Request] = []

    def crm(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(202)

    client = httpx.AsyncClient(transport=httpx.MockTransport(crm))
    targets = {"crm": WebhookTarget(url="https://crm.example/hook", secret="w" * 32)}
    hook = Provider("webhook", WebhookSender(targets=targets, client=client))
    activities = send_activity(
        session_factory, smtp_url=smtp_server.url, providers={Channel.WEBHOOK: hook}
    )
    webhook_step = send_request(channels=["webhook"], template=None, target="crm")

    await activities.send(webhook_step)
    async with session_factory() as session:  # as if the worker died before recording it
        await session.execute(update(Message).values(status="sending"))
        await session.commit()
    result = await activities.send(webhook_step)

    assert result.status == MessageStatus.SENT
    keys = [r.headers["Idempotency-Key"] for r in received]
    assert len(keys) == 2 and keys[0] == keys[1] == "cart-demo_shop-cart-1:run-1:steps[0]"
    body = json.loads(received[0].content)
    assert (body["event"], body["cart_id"], body["message_id"]) == (
        "cartnudge.journey_step",
        "cart-1",
        "r1",
    )


# --- the consent registry (İYS) ---------------------------------------------------------------


def registry_activities(
    session_factory: async_sessionmaker[AsyncSession], smtp_url: str, handler: Any
) -> SendActivity:
    registry = ConsentRegistry(
        url="https://registry.example/check",
        token="registry-token",
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        session_factory=session_factory,
        cache_for=timedelta(hours=24),
    )
    return send_activity(session_factory, smtp_url=smtp_url, registry=registry)


async def test_the_registry_is_asked_once_per_address_and_its_no_is_respected(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    asked: list[dict[str, str]] = []

    def registry(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer registry-token"
        asked.append(json.loads(request.content))
        return httpx.Response(200, json={"allowed": False})

    activities = registry_activities(session_factory, smtp_server.url, registry)
    first = await activities.send(send_request())
    second = await activities.send(send_request(step="steps[2]", message_id="r2"))

    assert first.reason == second.reason == "email: the consent registry does not allow it"
    assert asked == [{"shop": "demo_shop", "channel": "email", "recipient": "ayse@example.com"}]
    assert smtp_server.messages == []


async def test_an_unreachable_registry_holds_the_message_back(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    with pytest.raises(ApplicationError):
        await registry_activities(session_factory, smtp_server.url, down).send(send_request())
    assert smtp_server.messages == []
    assert (await outbox_row(session_factory)).status == "pending"


async def test_a_lost_answer_from_twilio_is_never_sent_again(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    calls: list[httpx.Request] = []

    def accepted_but_answer_lost(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out waiting for the answer", request=request)

    activities = send_activity(
        session_factory,
        smtp_url=smtp_server.url,
        providers={Channel.SMS: twilio_provider(accepted_but_answer_lost)},
    )
    first = await activities.send(sms_request())
    again = await activities.send(sms_request())

    assert first.status == again.status == MessageStatus.UNCERTAIN
    assert first.reason is not None and "may have taken it" in first.reason
    assert len(calls) == 1


async def test_no_database_connection_waits_on_the_registry(
    session_factory: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
    smtp_server: SmtpServer,
) -> None:
    held: list[int] = []

    def registry(request: httpx.Request) -> httpx.Response:
        held.append(checked_out(db_engine))
        return httpx.Response(200, json={"allowed": True})

    activities = registry_activities(session_factory, smtp_server.url, registry)
    result = await activities.send(send_request())

    assert result.status == MessageStatus.SENT
    assert held == [0]
