"""What a customer, or their mailbox, did with one of our messages, from wherever we hear it.

Open pixels and click links, unsubscribe links, SMS STOP replies and the providers'
webhooks all end here: the first engagement of each kind per message is recorded, an
unsubscribe, complaint or hard bounce puts the address on the shop's suppression list,
and the workflow run that sent the message hears an `engagement` signal.

Two ways to tell the run:

    record_and_tell / tell_or_forget  after the answer (a background task): when Temporal
        is down the engagement record is forgotten, so the customer's next open, click
        or unsubscribe tries again; a suppression is never forgotten
    accept_provider_events  before the answer: when Temporal is down the records of the
        events not yet told are forgotten and TemporalUnavailable becomes a 503, so the
        provider's retry tells them (a 2xx means we have the event, signal included)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Resources
from api.temporal import TemporalGateway, TemporalUnavailable, signal_if_open
from storage import provider_events
from storage.inserts import insert
from storage.models import EngagementEvent, Message
from storage.suppressions import suppress
from workflows.names import ENGAGEMENT
from workflows.payloads import Engagement, EngagementKind

log = logging.getLogger("cartnudge.api")

# After one of these the address must not get the shop's messages on that channel again.
SUPPRESSING = frozenset(
    {EngagementKind.BOUNCED, EngagementKind.COMPLAINED, EngagementKind.UNSUBSCRIBED}
)


@dataclass(frozen=True)
class SentMessage:
    """One message we sent: where its engagement is recorded and which run hears of it."""

    shop: str
    cart_id: str
    workflow_id: str
    run_id: str
    message_id: str
    channel: str | None = None  # None when the source does not say (tracking links)
    address: str | None = None  # the recipient, for the suppression list

    @classmethod
    def from_row(cls, row: Message) -> SentMessage:
        return cls(
            shop=row.shop,
            cart_id=row.cart_id,
            workflow_id=row.workflow_id,
            run_id=row.run_id,
            message_id=row.message_id,
            channel=row.channel,
            address=row.recipient,
        )


@dataclass(frozen=True)
class ProviderEngagement:
    """One provider webhook event in our terms, and how to find the message it is about."""

    provider: str  # "sendgrid", "postmark", "twilio": also the suppression's source
    event_id: str  # the provider's id for the event: a redelivery carries the same one
    kind: EngagementKind
    key: str | None  # our outbox key, carried through the provider (custom args, metadata)
    provider_message_id: str | None = None  # the provider's message id, when no key came back
    url: str | None = None  # the link clicked


async def record(
    session: AsyncSession,
    message: SentMessage,
    kind: EngagementKind,
    *,
    source: str,
    url: str | None = None,
) -> bool:
    """Record the engagement and suppress the address if it must; False if already recorded.

    The suppression is written even for a repeat: it may be what an earlier attempt lost.
    The caller commits.
    """
    if kind in SUPPRESSING and message.channel and message.address:
        await suppress(
            session,
            shop=message.shop,
            channel=message.channel,
            address=message.address,
            reason=kind.value,
            source=source,
        )
    statement = (
        insert(session, EngagementEvent)
        .values(
            shop=message.shop,
            cart_id=message.cart_id,
            workflow_id=message.workflow_id,
            run_id=message.run_id,
            message_id=message.message_id,
            kind=kind.value,
            url=url,
        )
        .on_conflict_do_nothing(
            index_elements=[
                EngagementEvent.workflow_id,
                EngagementEvent.run_id,
                EngagementEvent.message_id,
                EngagementEvent.kind,
            ]
        )
        .returning(EngagementEvent.id)
    )
    return (await session.execute(statement)).first() is not None


async def forget(session: AsyncSession, message: SentMessage, kind: EngagementKind) -> None:
    """Undo `record`'s engagement row (never the suppression), so a repeat tells the run."""
    await session.execute(
        delete(EngagementEvent).where(
            EngagementEvent.workflow_id == message.workflow_id,
            EngagementEvent.run_id == message.run_id,
            EngagementEvent.message_id == message.message_id,
            EngagementEvent.kind == kind.value,
        )
    )


async def tell(temporal: TemporalGateway, message: SentMessage, kind: EngagementKind) -> None:
    """Signal the run that sent the message; a finished run just does not hear it.

    Raises TemporalUnavailable.
    """
    event = Engagement(
        message_id=message.message_id,
        kind=kind,
        occurred_at=datetime.now(UTC),
        channel=message.channel,
    )
    client = await temporal.client()
    handle = client.get_workflow_handle(message.workflow_id, run_id=message.run_id)
    await signal_if_open(handle, ENGAGEMENT, event)


async def tell_or_forget(resources: Resources, message: SentMessage, kind: EngagementKind) -> None:
    """Tell the run, after the answer; when Temporal is down, forget the engagement record."""
    try:
        await tell(resources.temporal, message, kind)
    except TemporalUnavailable:
        async with resources.sessions() as session:
            try:
                await forget(session, message, kind)
                await session.commit()
            except SQLAlchemyError as err:
                log.warning("could not forget %s of %s: %s", kind, message.message_id, err)


async def record_and_tell(
    resources: Resources,
    message: SentMessage,
    kind: EngagementKind,
    *,
    source: str,
    url: str | None,
) -> None:
    """Record and tell, after the answer, for an event nobody retries (opens, clicks).

    A database failure does not stop the signal: the workflow ignores repeats.
    """
    async with resources.sessions() as session:
        try:
            first = await record(session, message, kind, source=source, url=url)
            await session.commit()
        except SQLAlchemyError as err:
            log.warning("could not record %s of %s: %s", kind, message.message_id, err)
            await session.rollback()
            first = True  # unknown: let the workflow, which ignores repeats, decide
    if first:
        await tell_or_forget(resources, message, kind)


async def find_message(
    session: AsyncSession, *, key: str | None, provider_message_id: str | None
) -> Message | None:
    """The outbox row by our key, else by the provider's message id; None when unknown."""
    if key:
        row = await session.scalar(select(Message).where(Message.key == key))
        if row is not None:
            return row
    if provider_message_id:
        row = await session.scalar(
            select(Message)
            .where(Message.provider_message_id == provider_message_id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        return row
    return None


@dataclass(frozen=True)
class _Pending:
    event: ProviderEngagement
    message: SentMessage


async def accept_provider_events(
    session: AsyncSession, temporal: TemporalGateway, events: Sequence[ProviderEngagement]
) -> None:
    """Record, suppress and tell each event not handled before; all committed on return.

    Raises TemporalUnavailable (the route answers 503) after forgetting the events whose
    signal did not go out, so the provider's retry handles them again.
    """
    pending: list[_Pending] = []
    for event in events:
        if not await provider_events.first_time(session, event.provider, event.event_id):
            continue  # a redelivery
        row = await find_message(
            session, key=event.key, provider_message_id=event.provider_message_id
        )
        if row is None:
            log.info(
                "%s event %s (%s) is about no message we know; ignored",
                event.provider,
                event.event_id,
                event.kind,
            )
            continue
        message = SentMessage.from_row(row)
        if await record(session, message, event.kind, source=event.provider, url=event.url):
            pending.append(_Pending(event, message))
    # Committed before any signal: what the workflow hears is already stored.
    await session.commit()
    for done, item in enumerate(pending):
        try:
            await tell(temporal, item.message, item.event.kind)
        except TemporalUnavailable:
            for untold in pending[done:]:
                await provider_events.forget(session, untold.event.provider, untold.event.event_id)
                await forget(session, untold.message, untold.event.kind)
            await session.commit()
            raise
