"""The send activity against a real SMTP server and database: at most one delivery per step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from activities.messaging import LinkSigning, MessagingActivities
from channels.errors import TransientChannelError
from channels.smtp import SmtpEmailSender
from journey_schema.catalog import JourneyCatalog
from storage.models import Message
from storage.outbox import Outbox
from tests.factories import make_cart
from workflows.types import MessageStatus, SendRequest

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"
MAIL_FROM = "Koşu Dükkanı <hello@shop.example>"


def request(**overrides: Any) -> SendRequest:
    pinned = JourneyCatalog.load(REPO_JOURNEYS, default_journey="abandoned_cart").pin("shop")
    values: dict[str, Any] = {
        "workflow_id": "cart-demo_shop-cart-1",
        "run_id": "run-1",
        "shop": "demo_shop",
        "cart_id": "cart-1",
        "journey": "abandoned_cart",
        "version": 1,
        "step": "steps[0]",
        "message_id": "r1",
        "channel": "email",
        "template": "reminder",
        "templates": pinned.templates_for("reminder"),
        "default_locale": "en",
        "cart": make_cart(),
    }
    return SendRequest(**{**values, **overrides})


def messaging(session_factory: Any, smtp_url: str) -> MessagingActivities:
    return MessagingActivities(
        outbox=Outbox(session_factory),
        email=SmtpEmailSender.from_url(smtp_url),
        mail_from=MAIL_FROM,
        links=LinkSigning(public_url="http://cartnudge.test", secret="s" * 40),
    )


async def outbox_row(session_factory: Any) -> Message:
    async with session_factory() as session:
        [row] = (await session.scalars(select(Message))).all()
    return row


async def test_a_retried_send_never_delivers_twice(session_factory: Any, smtp_server: Any) -> None:
    activities = messaging(session_factory, smtp_server.url)

    first = await activities.send_message(request())
    again = await activities.send_message(request())  # Temporal retrying after a lost reply

    assert (first.status, again.status) == (MessageStatus.SENT, MessageStatus.SENT)
    [email] = await smtp_server.wait_for_messages(1)
    assert len(smtp_server.messages) == 1
    assert str(email["From"]) == MAIL_FROM
    assert smtp_server.envelopes[0].rcpt_tos == ("ayse@example.com",)
    row = await outbox_row(session_factory)
    assert (row.status, row.recipient, row.locale) == ("sent", "ayse@example.com", "tr")


async def test_an_attempt_that_died_mid_delivery_is_never_resent(
    session_factory: Any, smtp_server: Any
) -> None:
    activities = messaging(session_factory, smtp_server.url)
    await activities.send_message(request())
    smtp_server.envelopes.clear()
    async with session_factory() as session:  # as if the worker died right after SMTP took it
        await session.execute(update(Message).values(status="sending"))
        await session.commit()

    result = await activities.send_message(request())

    assert result.status == MessageStatus.UNCERTAIN
    assert smtp_server.messages == []
    assert (await outbox_row(session_factory)).status == "uncertain"


async def test_an_unreachable_server_is_retried_and_then_delivers_once(
    session_factory: Any, smtp_server: Any
) -> None:
    down = messaging(session_factory, "smtp://127.0.0.1:9")  # nothing listens on discard

    with pytest.raises(TransientChannelError):
        await down.send_message(request())
    assert (await outbox_row(session_factory)).status == "pending"

    result = await messaging(session_factory, smtp_server.url).send_message(request())

    assert result.status == MessageStatus.SENT
    assert len(await smtp_server.wait_for_messages(1)) == 1


async def test_a_mailbox_that_does_not_exist_fails_for_good(
    session_factory: Any, smtp_server: Any
) -> None:
    smtp_server.refuse["ayse@example.com"] = "550 5.1.1 no such mailbox"

    result = await messaging(session_factory, smtp_server.url).send_message(request())

    assert result.status == MessageStatus.FAILED
    assert result.reason is not None and "550" in result.reason
    assert (await outbox_row(session_factory)).status == "failed"


async def test_a_mailbox_answering_try_later_is_retried(
    session_factory: Any, smtp_server: Any
) -> None:
    smtp_server.refuse["ayse@example.com"] = "451 4.3.0 mailbox busy, try later"

    with pytest.raises(TransientChannelError):
        await messaging(session_factory, smtp_server.url).send_message(request())
    assert (await outbox_row(session_factory)).status == "pending"
