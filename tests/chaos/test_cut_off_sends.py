"""Sends cut off mid-delivery, deterministically: the attempt abandoned at the worst moment.

A kill is an attempt that stops where it is: here the attempt's task is cancelled while the
provider holds the request (Twilio faked at the HTTP transport: it takes the message, then
never answers) or while the SMTP server stalls. The next attempt is Temporal's retry.

- Twilio with status callbacks: the provider's event (posted to the real API, signed)
  settles the row; the next attempt answers SENT without a second POST. Without an event,
  the row waits the silence bound (an injected clock), then is sent exactly once more.
- SMTP: a kill before the final "." (connect ... RCPT TO, DATA's 354) leaves the row
  pending, and the next attempt delivers it once; a kill between `sending` and the write
  is told apart by the worker's journal (sent again), a kill after it is `uncertain`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.messaging import OUTBOX_COLUMNS
from api.webhook_signatures import twilio_signature
from channels.outgoing import SmsOut
from channels.twilio import TwilioSender
from devstack.processes import free_port
from devstack.sms_stub import SmsStub
from sending.hand_over_journal import HandOverJournal
from storage.models import Message
from storage.outbox import Outbox

# The providers' own webhook tests sign as SendGrid and call as Postmark: the same here.
from tests.api.test_postmark_webhook import AUTH as POSTMARK_AUTH
from tests.api.test_postmark_webhook import record as postmark_record
from tests.api.test_sendgrid_webhook import PUBLIC_KEY as SENDGRID_PUBLIC_KEY
from tests.api.test_sendgrid_webhook import event as sendgrid_event
from tests.api.test_sendgrid_webhook import signed
from tests.support.api import app_without_temporal, http_client, served
from tests.support.messaging import (
    SendActivity,
    send_activity,
    send_request,
    sms_request,
    twilio_provider,
)
from tests.support.smtp import SmtpServer
from tests.support.tables import add_message
from tests.support.temporal import settings_for_tests
from workflows.payloads import Channel, MessageStatus, SendRequest, SendResult

TOKEN = "twilio-auth-token-for-cut-offs"
PUBLIC_URL = "https://hooks.shop.example"
CALLBACK_URL = f"{PUBLIC_URL}/webhooks/twilio/status"
SID = "SM" + "7" * 32
SILENCE = timedelta(minutes=10)


class Clock:
    """The activity's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class TwilioThatHangs:
    """Takes every message; does not answer until `answering` is set."""

    def __init__(self) -> None:
        self.posts: list[httpx.Request] = []
        self.answering = False
        self.took = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request)
        self.took.set()
        while not self.answering:
            await asyncio.sleep(0.01)
        return httpx.Response(201, json={"sid": SID, "status": "queued"})

    def status_callback(self) -> str:
        """The StatusCallback URL the last message was sent with (our key in it)."""
        form = parse_qs(self.posts[-1].content.decode())
        [url] = form["StatusCallback"]
        return url


@pytest.fixture
def twilio() -> TwilioThatHangs:
    return TwilioThatHangs()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def activities(
    session_factory: async_sessionmaker[AsyncSession], twilio: TwilioThatHangs, clock: Clock
) -> SendActivity:
    provider = twilio_provider(twilio, status_callback_url=CALLBACK_URL)
    return send_activity(
        session_factory, providers={Channel.SMS: provider}, provider_silence=SILENCE, clock=clock
    )


@pytest.fixture
async def api(db_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The real API (its Twilio routes verify the signature); Temporal is not needed for
    a `sent` status, which tells no journey anything."""
    settings = settings_for_tests(twilio_auth_token=TOKEN, public_url=PUBLIC_URL)
    async with app_without_temporal(settings, db_engine) as app, http_client(app) as client:
        yield client


async def killed_while_provider_holds_it(
    attempt: Callable[[], Awaitable[SendResult]], took: asyncio.Event
) -> None:
    """Start an attempt and abandon it the moment the provider has the request."""
    running = asyncio.ensure_future(attempt())
    await asyncio.wait_for(took.wait(), timeout=10)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def post_status(api: httpx.AsyncClient, callback_url: str, status: str) -> None:
    """Twilio's status callback, signed over the URL it was given."""
    params = {"MessageSid": SID, "MessageStatus": status, "AccountSid": "AC1"}
    parts = urlsplit(callback_url)
    response = await api.post(
        f"{parts.path}?{parts.query}",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(TOKEN, callback_url, params.items())},
    )
    assert response.status_code == 200, response.text


async def outbox_row(session_factory: async_sessionmaker[AsyncSession]) -> Message:
    async with session_factory() as session:
        [row] = (await session.scalars(select(Message))).all()
    return row


async def still_waiting(activities: SendActivity, request: SendRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as waiting:
        await activities.send(request)
    assert waiting.value.type == "AwaitingProviderEvents"
    assert not waiting.value.non_retryable
    return waiting.value


async def test_an_event_after_the_kill_settles_the_sms_and_it_is_never_posted_again(
    activities: SendActivity,
    twilio: TwilioThatHangs,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)
    assert (await outbox_row(session_factory)).status == "sending"

    # The retry finds the row cut off: Twilio reports events, so it waits for one.
    waiting = await still_waiting(activities, sms_request())
    assert waiting.next_retry_delay is not None and waiting.next_retry_delay <= SILENCE
    row = await outbox_row(session_factory)
    assert (row.status, row.cut_off_at is not None) == ("uncertain", True)

    await post_status(api, twilio.status_callback(), "sent")
    result = await activities.send(sms_request())

    assert result.status == MessageStatus.SENT
    assert len(twilio.posts) == 1
    row = await outbox_row(session_factory)
    assert (row.status, row.provider_message_id, row.settled_by_event) == ("sent", SID, True)
    assert row.resent_at is None


async def test_an_event_before_the_retry_settles_the_row_while_it_is_still_sending(
    activities: SendActivity,
    twilio: TwilioThatHangs,
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)

    await post_status(api, twilio.status_callback(), "queued")  # a status we do not track
    result = await activities.send(sms_request())

    assert result.status == MessageStatus.SENT
    assert len(twilio.posts) == 1
    assert (await outbox_row(session_factory)).settled_by_event


async def test_silence_past_the_bound_resends_exactly_once(
    activities: SendActivity,
    twilio: TwilioThatHangs,
    clock: Clock,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)
    await still_waiting(activities, sms_request())

    clock.now += SILENCE - timedelta(seconds=1)
    await still_waiting(activities, sms_request())
    assert len(twilio.posts) == 1  # still within the bound: not resent

    clock.now += timedelta(seconds=1)
    twilio.answering = True
    resent = await activities.send(sms_request())
    again = await activities.send(sms_request())  # a retry after a lost reply

    assert (resent.status, again.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert len(twilio.posts) == 2
    row = await outbox_row(session_factory)
    assert (row.status, row.settled_by_event) == ("sent", False)
    assert row.resent_at == clock.now


async def test_a_resend_cut_off_again_is_not_sent_a_third_time(
    activities: SendActivity,
    twilio: TwilioThatHangs,
    clock: Clock,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)
    await still_waiting(activities, sms_request())
    clock.now += SILENCE
    twilio.took.clear()
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)

    clock.now += 2 * SILENCE
    result = await activities.send(sms_request())

    assert result.status == MessageStatus.UNCERTAIN
    assert len(twilio.posts) == 2
    assert (await outbox_row(session_factory)).status == "uncertain"


async def test_without_status_callbacks_a_cut_off_sms_stays_uncertain(
    session_factory: async_sessionmaker[AsyncSession], twilio: TwilioThatHangs
) -> None:
    activities = send_activity(session_factory, providers={Channel.SMS: twilio_provider(twilio)})
    await killed_while_provider_holds_it(lambda: activities.send(sms_request()), twilio.took)

    result = await activities.send(sms_request())

    assert result.status == MessageStatus.UNCERTAIN
    assert len(twilio.posts) == 1


async def test_the_sms_stub_calls_back_signed_and_the_api_settles_the_row(
    db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """devstack's Twilio stub posts the signed status callbacks the real API accepts: a row
    a dead worker left `sending` is settled by them alone."""
    row = await add_message(session_factory, run_id="run-1", channel="sms", provider="twilio")
    async with session_factory() as session:
        await session.execute(update(Message).values(status="sending"))
        await session.commit()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = settings_for_tests(twilio_auth_token=TOKEN, public_url=public_url)
    account = "AC" + "1" * 32
    # statuses no journey hears of: without Temporal here, a "delivered" would get a 503
    stub = SmsStub(
        account_sid=account, auth_token=TOKEN, statuses=("queued", "sent"), callback_delay=0
    )
    with stub:
        async with (
            app_without_temporal(settings, db_engine) as app,
            served(app, port=port),
            httpx.AsyncClient() as client,
        ):
            sender = TwilioSender(
                client=client,
                account_sid=account,
                auth_token=TOKEN,
                sender="+15005550006",
                api_url=stub.url,
                status_callback_url=f"{public_url}/webhooks/twilio/status",
            )
            sid = await sender.send(SmsOut(idempotency_key=row.key, to="+905321234567", body="hi"))
            for _ in range(1000):
                if stub.callbacks == len(stub.statuses):
                    break
                await asyncio.sleep(0.01)

    assert stub.callbacks == len(stub.statuses) == 2
    settled = await outbox_row(session_factory)
    assert (settled.status, settled.settled_by_event) == ("sent", True)
    assert settled.provider_message_id == sid == stub.messages[0].sid


async def test_smtp_killed_before_the_final_dot_leaves_the_row_pending_and_delivers_once(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    activities = send_activity(session_factory, smtp_url=smtp_server.url)
    smtp_server.rcpt_open.clear()  # the server takes its time answering RCPT TO

    running = asyncio.ensure_future(activities.send(send_request()))
    while not smtp_server.rcpt_seen.is_set():
        await asyncio.sleep(0.01)
    running.cancel()  # the worker dies while SMTP is still being set up
    with pytest.raises(asyncio.CancelledError):
        await running
    assert (await outbox_row(session_factory)).status == "pending"  # never `sending`

    smtp_server.rcpt_open.set()
    result = await activities.send(send_request())

    assert result.status == MessageStatus.SENT
    assert len(await smtp_server.wait_for_messages(1)) == 1
    assert (await outbox_row(session_factory)).status == "sent"


async def test_smtp_killed_after_sending_but_before_the_hand_over_is_sent_again_once(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The worker died between recording `sending` and writing the final ".": its journal
    has no mark, so the next attempt knows the server never had it."""
    journal = HandOverJournal(tmp_path / "journal")
    activities = send_activity(session_factory, smtp_url=smtp_server.url, journal=journal)
    await Outbox(session_factory).claim(send_request().outbox_key, first_step(send_request()))
    async with session_factory() as session:  # what the dead attempt left
        await session.execute(
            update(Message).values(status="sending", hand_over_journal=journal.id)
        )
        await session.commit()

    result = await activities.send(send_request())

    assert result.status == MessageStatus.SENT
    assert len(await smtp_server.wait_for_messages(1)) == 1
    assert (await outbox_row(session_factory)).status == "sent"


async def test_smtp_killed_after_the_hand_over_is_uncertain_and_not_sent_again(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    journal = HandOverJournal(tmp_path / "journal")
    activities = send_activity(session_factory, smtp_url=smtp_server.url, journal=journal)
    smtp_server.data_open.clear()  # the server has the mail; its answer does not come back

    running = asyncio.ensure_future(activities.send(send_request()))
    await smtp_server.wait_for_messages(1)
    running.cancel()  # the worker dies waiting for the answer to the final "."
    with pytest.raises(asyncio.CancelledError):
        await running
    smtp_server.data_open.set()
    result = await activities.send(send_request())

    assert result.status == MessageStatus.UNCERTAIN
    assert len(smtp_server.messages) == 1
    assert (await outbox_row(session_factory)).status == "uncertain"


async def test_a_row_from_another_workers_journal_stays_uncertain(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Another host's journal is not this one's to read: no mark here proves nothing."""
    other = HandOverJournal(tmp_path / "other")
    activities = send_activity(
        session_factory, smtp_url=smtp_server.url, journal=HandOverJournal(tmp_path / "mine")
    )
    await Outbox(session_factory).claim(send_request().outbox_key, first_step(send_request()))
    async with session_factory() as session:
        await session.execute(update(Message).values(status="sending", hand_over_journal=other.id))
        await session.commit()

    result = await activities.send(send_request())

    assert result.status == MessageStatus.UNCERTAIN
    assert smtp_server.messages == []


def first_step(request: SendRequest) -> dict[str, object]:
    """The outbox columns the send activity claims its row with."""
    return {**request.model_dump(include=OUTBOX_COLUMNS), "channel": request.channels[0]}


async def cut_off_row(sessions: async_sessionmaker[AsyncSession], provider: str) -> Message:
    """An email row a kill left waiting for its provider's events."""
    row = await add_message(sessions, run_id="run-1", provider=provider)
    async with sessions() as session:
        await session.execute(
            update(Message).values(
                status="uncertain", cut_off_at=datetime.now(UTC), provider_message_id=None
            )
        )
        await session.commit()
    return row


@pytest.mark.parametrize("name", ["processed", "deferred"])  # events no journey hears of
async def test_any_sendgrid_event_with_our_key_settles_a_cut_off_row(
    name: str, db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    row = await cut_off_row(session_factory, "sendgrid")
    body = json.dumps([sendgrid_event(name, "ev-1", row.key)]).encode()
    settings = settings_for_tests(sendgrid_webhook_public_key=SENDGRID_PUBLIC_KEY)
    async with app_without_temporal(settings, db_engine) as app, http_client(app) as client:
        response = await client.post("/webhooks/sendgrid", content=body, headers=signed(body))

    assert response.status_code == 200, response.text
    settled = await outbox_row(session_factory)
    assert (settled.status, settled.settled_by_event) == ("sent", True)
    assert settled.provider_message_id == "sgmsg"


async def test_any_postmark_event_with_our_key_settles_a_cut_off_row(
    db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    row = await cut_off_row(session_factory, "postmark")
    user, password = POSTMARK_AUTH
    settings = settings_for_tests(postmark_webhook_user=user, postmark_webhook_password=password)
    soft_bounce = postmark_record("Bounce", row.key, Type="SoftBounce", ID=7)  # not tracked
    async with app_without_temporal(settings, db_engine) as app, http_client(app) as client:
        response = await client.post("/webhooks/postmark", json=soft_bounce, auth=POSTMARK_AUTH)

    assert response.status_code == 200, response.text
    settled = await outbox_row(session_factory)
    assert (settled.status, settled.provider_message_id) == ("sent", "pm-msg-1")


async def test_an_event_for_a_message_refused_for_good_leaves_it_failed(
    db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    row = await add_message(session_factory, run_id="run-1", provider="sendgrid")
    async with session_factory() as session:
        await session.execute(update(Message).values(status="failed"))
        await session.commit()
    body = json.dumps([sendgrid_event("processed", "ev-2", row.key)]).encode()
    settings = settings_for_tests(sendgrid_webhook_public_key=SENDGRID_PUBLIC_KEY)
    async with app_without_temporal(settings, db_engine) as app, http_client(app) as client:
        await client.post("/webhooks/sendgrid", content=body, headers=signed(body))

    assert (await outbox_row(session_factory)).status == "failed"


async def test_a_slow_attempts_answer_after_another_found_it_cut_off_settles_the_row(
    activities: SendActivity,
    twilio: TwilioThatHangs,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Temporal gave up on a starved attempt and retried; the first then got Twilio's 201."""
    slow = asyncio.ensure_future(activities.send(sms_request()))
    await asyncio.wait_for(twilio.took.wait(), timeout=10)
    await still_waiting(activities, sms_request())  # the retry finds the row cut off

    twilio.answering = True
    await slow
    result = await activities.send(sms_request())

    assert result.status == MessageStatus.SENT
    assert len(twilio.posts) == 1
    row = await outbox_row(session_factory)
    assert (row.status, row.provider_message_id) == ("sent", SID)
