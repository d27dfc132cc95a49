"""What a customer, or their mailbox, did with one of our messages, from wherever we hear it.

Open pixels and click links, unsubscribe links, SMS STOP replies and the providers'
webhooks all end here: the first engagement of each kind per message is recorded, an
unsubscribe, complaint or hard bounce puts the address on the shop's suppression list,
and the workflow run that sent the message hears an `engagement` signal.

Two protocols, by who is waiting for the answer:

    take_customer_engagement   a customer's unsubscribe (link, one-click; SMS STOP in
        `take_sms_stop`):
        recorded and suppressed before the answer, so a confirmed unsubscribe is never
        lost; the run is told after it (`Untold.tell`, a background task). When Temporal
        is down the engagement record is forgotten, so the customer's next unsubscribe
        tries again; the suppression is kept. `take_open_or_click` runs all of it after
        the answer, for events nobody retries: the customer never waits for us.
    take_provider_events   a provider's webhook: before the answer. When Temporal is down
        the records of the events not yet told are forgotten and TemporalUnavailable
        becomes a 503, so the provider's retry tells them (a 2xx means we have the
        event, signal included).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.temporal import TemporalGateway
from storage import engagement, provider_events
from storage.messages import SentMessage, find_message, latest_sms_per_cart, shops_that_texted
from storage.suppressions import suppress
from workflows.client import TemporalUnavailable, signal_if_open
from workflows.names import ENGAGEMENT
from workflows.payloads import Channel, Engagement, EngagementKind

log = logging.getLogger("cartnudge.intake")

# After one of these the address must not get the shop's messages on that channel again.
SUPPRESSING = frozenset(
    {EngagementKind.BOUNCED, EngagementKind.COMPLAINED, EngagementKind.UNSUBSCRIBED}
)


@dataclass(frozen=True)
class Untold:
    """Engagements recorded for the first time whose runs have not heard of them yet."""

    kind: EngagementKind
    messages: Sequence[SentMessage]
    sessions: async_sessionmaker[AsyncSession]
    temporal: TemporalGateway

    async def tell(self) -> None:
        """Tell each run, after the answer; when Temporal is down, forget the record."""
        for message in self.messages:
            try:
                await _tell(self.temporal, message, self.kind)
            except TemporalUnavailable:
                await _forget(self.sessions, message, self.kind)


async def take_customer_engagement(
    messages: Sequence[SentMessage],
    kind: EngagementKind,
    *,
    source: str,
    url: str | None = None,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> Untold:
    """Record the engagement of each message and suppress where it must, in one committed
    transaction; what is returned tells the runs, after the answer."""
    async with sessions.begin() as session:
        first = await _record_first(session, messages, kind, source=source, url=url)
    return Untold(kind=kind, messages=first, sessions=sessions, temporal=temporal)


async def take_sms_stop(
    number: str,
    *,
    source: str,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> Untold:
    """A STOP from the number: take_customer_engagement's unsubscribe for the last SMS of
    each cart that texted it, across all shops (the bounded latest storage finds)."""
    kind = EngagementKind.UNSUBSCRIBED
    async with sessions.begin() as session:
        # Every shop that texted the number, however long ago; the journeys told are the
        # most recent carts' (a bounded number).
        for shop in await shops_that_texted(session, number):
            await suppress(
                session,
                shop=shop,
                channel=Channel.SMS,
                address=number,
                reason=kind.value,
                source=source,
            )
        texted = await latest_sms_per_cart(session, number)
        first = await _record_first(session, texted, kind, source=source, url=None)
    return Untold(kind=kind, messages=first, sessions=sessions, temporal=temporal)


async def take_open_or_click(
    message: SentMessage,
    kind: EngagementKind,
    *,
    url: str | None,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> None:
    """Record and tell, after the answer, an event nobody retries (opens, clicks).

    A database failure does not stop the signal: the workflow ignores repeats.
    """
    try:
        untold = await take_customer_engagement(
            [message], kind, source="tracking", url=url, sessions=sessions, temporal=temporal
        )
    except SQLAlchemyError as err:
        log.warning("could not record %s of %s: %s", kind, message.message_id, err)
        # unknown whether it was the first: let the workflow, which ignores repeats, decide
        untold = Untold(kind=kind, messages=[message], sessions=sessions, temporal=temporal)
    await untold.tell()


@dataclass(frozen=True)
class ProviderEngagement:
    """One provider webhook event in our terms, and how to find the message it is about."""

    provider: str  # "sendgrid", "postmark", "twilio": also the suppression's source
    event_id: str  # the provider's id for the event: a redelivery carries the same one
    kind: EngagementKind
    key: str | None  # our outbox key, carried through the provider (custom args, metadata)
    provider_message_id: str | None = None  # the provider's message id, when no key came back
    url: str | None = None  # the link clicked
    # An open the provider says a machine made (Apple Mail Privacy Protection prefetching
    # images): recorded and shown apart, never told to the journey as the customer's.
    machine: bool = False


@dataclass(frozen=True)
class _Pending:
    event: ProviderEngagement
    message: SentMessage


async def take_provider_events(
    events: Sequence[ProviderEngagement],
    *,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> None:
    """Record, suppress and tell each event not handled before; all committed on return.

    Raises TemporalUnavailable (the route answers 503) after forgetting the events whose
    signal did not go out, so the provider's retry handles them again.
    """
    pending: list[_Pending] = []
    # Committed before any signal: what the workflow hears is already stored.
    async with sessions.begin() as session:
        for event in events:
            if not await provider_events.first_time(session, event.provider, event.event_id):
                continue  # a redelivery
            message = await find_message(
                session, key=event.key, provider_message_id=event.provider_message_id
            )
            if message is None:
                log.info(
                    "%s event %s (%s) is about no message we know; ignored",
                    event.provider,
                    event.event_id,
                    event.kind,
                )
                continue
            first = await _record(
                session,
                message,
                event.kind,
                source=event.provider,
                url=event.url,
                machine=event.machine,
            )
            if first and not event.machine:
                pending.append(_Pending(event, message))
    for done, item in enumerate(pending):
        try:
            await _tell(temporal, item.message, item.event.kind)
        except TemporalUnavailable:
            async with sessions.begin() as session:
                for untold in pending[done:]:
                    await provider_events.forget(
                        session, untold.event.provider, untold.event.event_id
                    )
                    await engagement.forget(session, untold.message, untold.event.kind)
            raise


async def _record_first(
    session: AsyncSession,
    messages: Sequence[SentMessage],
    kind: EngagementKind,
    *,
    source: str,
    url: str | None,
) -> list[SentMessage]:
    """Record the engagement of each message; those for which it is the first."""
    return [
        message
        for message in messages
        if await _record(session, message, kind, source=source, url=url)
    ]


async def _record(
    session: AsyncSession,
    message: SentMessage,
    kind: EngagementKind,
    *,
    source: str,
    url: str | None,
    machine: bool = False,
) -> bool:
    """Record the engagement and suppress the address if it must; False if already recorded.

    The suppression is written even for a repeat: it may be what an earlier attempt lost.
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
    return await engagement.record(session, message, kind, url=url, machine=machine)


async def _tell(temporal: TemporalGateway, message: SentMessage, kind: EngagementKind) -> None:
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


async def _forget(
    sessions: async_sessionmaker[AsyncSession], message: SentMessage, kind: EngagementKind
) -> None:
    """Undo the engagement record (never the suppression), so a repeat tells the run."""
    try:
        async with sessions.begin() as session:
            await engagement.forget(session, message, kind)
    except SQLAlchemyError as err:
        log.warning("could not forget %s of %s: %s", kind, message.message_id, err)
