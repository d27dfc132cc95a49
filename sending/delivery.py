"""Delivery: hand a composed message to its channel's provider through the outbox, once.

    pending ─(prepare: SMTP up to DATA's 354; refused here: pending, or failed for good)
       └begin─> sending ─the provider took it─────────────────────────────────> sent
                   ├─ refused for good ───────────────────────────────────────> failed
                   ├─ did not take it ─> pending again, TransientChannelError raised
                   └─ may have it (answer lost, or the attempt died here):
                        this worker's journal has no mark (never handed over), once
                          the attempt that turned it can no longer write ─> pending
                        repeat harmless (it deduplicates) ─> pending, sent again
                        provider reports events ─> uncertain, waiting (CutOff raised):
                            an event for it (webhook routes) ─────────────────> sent
                            silent for `silence` ─> pending, resent once
                        otherwise ─> uncertain, never resent

A two-phase sender (`TwoPhaseSender`, SMTP) does everything but the hand-over before the
row turns `sending`, so only the hand-over itself (SMTP: the message and its final ".",
then the server's answer) can leave a row uncertain. With a `HandOverJournal` the worker
marks the hand-over right before writing it, and forgets the mark only once the row says
what became of it: a row found `sending` through this journal without the mark was never
handed over, and goes back to pending (after `NO_MARK_TRUSTED_AFTER`; an attempt that
could not write within `HAND_OVER_WITHIN` leaves the row alone).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from channels.errors import PermanentChannelError, TransientChannelError
from channels.outgoing import Prepared, Sender, TwoPhaseSender
from sending.composition import Composed
from sending.hand_over_journal import HandOverJournal
from sending.policy import Go
from storage.outbox import Outbox, OutboxState, Settled
from workflows.payloads import Channel, MessageStatus, SendResult

T = TypeVar("T")


class Watch(Protocol):
    """Awaits the provider's call; the send activity heartbeats meanwhile."""

    def __call__(self, call: Awaitable[T], /) -> Awaitable[T]: ...


@dataclass(frozen=True)
class Provider:
    """The configured provider of one channel."""

    name: str  # "smtp", "sendgrid", "twilio"... recorded on each message
    sender: Sender[Any]


class CutOff(Exception):
    """The row is uncertain and waits for its provider's events: ask again `retry_in` later."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


# A hand-over that could not start this soon after the row turned `sending` is not
# written (the row is left to the next attempt): Temporal may already have started another
# attempt, which, finding no mark in the journal, sends it itself.
HAND_OVER_WITHIN = 5.0  # seconds
# An attempt trusts a missing mark only this long after the row turned `sending`: by then
# the attempt that turned it has either marked it or will never write it.
NO_MARK_TRUSTED_AFTER = timedelta(seconds=HAND_OVER_WITHIN + 5)

# How often a waiting row is looked at again: often enough that a settled row's journey
# goes on soon after the event, at most this far apart.
LOOK_AGAIN_AT_MOST = timedelta(minutes=1)


async def _unwatched(call: Awaitable[T]) -> T:
    return await call


def _now() -> datetime:
    return datetime.now(UTC)


class Delivery:
    def __init__(
        self,
        outbox: Outbox,
        providers: Mapping[Channel, Provider],
        *,
        watch: Watch = _unwatched,
        silence: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = _now,
        journal: HandOverJournal | None = None,
    ) -> None:
        self._outbox = outbox
        self._providers = providers
        self._watch = watch
        self._silence = silence  # how long a provider that reports events may stay silent
        self._clock = clock
        self._journal = journal  # knows whether a two-phase hand-over was written

    @property
    def channels(self) -> Collection[Channel]:
        """The channels a provider is configured for."""
        return self._providers.keys()

    async def resume_interrupted(self, key: str) -> OutboxState:
        """An earlier attempt died mid-send, or left the row waiting for events: PENDING
        to send (again), or the settled state (SENT by an event, UNCERTAIN for good).

        Raises `CutOff` while the row waits for its provider's events.
        """
        settled = await self._outbox.settled(key)
        if settled.state is OutboxState.SENDING:
            journal = self._journal
            if journal is None or settled.journal != journal.id:
                return await self._judge_cut_off(key, settled)
            # This worker's journal knows whether the hand-over may have been written: the
            # mark is made before the write, so no mark means it was not.
            if journal.was_handed(key):
                try:
                    state = await self._judge_cut_off(key, settled)
                except CutOff:
                    journal.forget(key)  # the row records it now
                    raise
                journal.forget(key)
                return state
            started = settled.sending_at
            if started is not None and self._clock() - started < NO_MARK_TRUSTED_AFTER:
                # The attempt that turned it `sending` may still mark and write it.
                raise CutOff("another attempt is handing it over", retry_in=timedelta(seconds=5))
            reason = "an attempt died before handing it over; sent again"
            await self._outbox.retry_later(key, reason)
            return OutboxState.PENDING
        if settled.awaiting_events:
            return await self._look_again(key, settled)
        return settled.state

    async def _judge_cut_off(self, key: str, settled: Settled) -> OutboxState:
        """A row left `sending`, which the provider may have: sent again only where a
        repeat is harmless; else waiting for its events, or uncertain for good."""
        provider = self._providers.get(settled.channel)
        if provider is not None and provider.sender.repeat_is_harmless:
            await self._outbox.retry_later(
                key, f"an attempt died mid-send; {provider.name} shows a repeat only once"
            )
            return OutboxState.PENDING
        if provider is not None and provider.sender.reports_events and not settled.resent_at:
            reason = f"an attempt died mid-send; waiting for {provider.name}'s events"
            return await self._cut_off(key, reason)
        reason = "an earlier attempt stopped mid-delivery; not resent"
        await self._outbox.finish(key, OutboxState.UNCERTAIN, reason=reason)
        return (await self._outbox.settled(key)).state  # an event may have come first

    async def _cut_off(self, key: str, reason: str) -> OutboxState:
        if not await self._outbox.cut_off(key, at=self._clock(), reason=reason):
            return (await self._outbox.settled(key)).state  # an event settled it meanwhile
        raise CutOff(reason, retry_in=self._look_again_in(self._silence))

    async def _look_again(self, key: str, settled: Settled) -> OutboxState:
        """Still no event: wait on, or reopen for the one resend once the silence is long."""
        assert settled.cut_off_at is not None
        silent_for = self._clock() - settled.cut_off_at
        if silent_for < self._silence:
            raise CutOff(
                settled.reason or "waiting for the provider's events",
                retry_in=self._look_again_in(self._silence - silent_for),
            )
        minutes = int(self._silence.total_seconds() // 60)
        reason = f"no event from the provider in {minutes} min after a cut-off; resent once"
        if await self._outbox.reopen_after_silence(key, at=self._clock(), reason=reason):
            return OutboxState.PENDING
        return (await self._outbox.settled(key)).state  # an event came at the last moment

    def _look_again_in(self, left: timedelta) -> timedelta:
        return max(min(left, self._silence / 5, LOOK_AGAIN_AT_MOST), timedelta(seconds=1))

    async def deliver(self, key: str, go: Go, composed: Composed) -> SendResult | None:
        """SENT, FAILED (refused for good) or UNCERTAIN; None if another attempt began first.

        Raises `TransientChannelError` when the provider did not take it (the row is pending
        again, for the next attempt), `CutOff` when it may have it and its events will say.
        """
        provider = self._providers[go.channel]
        prepared: Prepared | None = None
        if isinstance(provider.sender, TwoPhaseSender):
            # Before the row is `sending`: a refusal here leaves nothing uncertain.
            try:
                prepared = await self._watch(provider.sender.prepare(composed.message))
            except TransientChannelError as err:
                await self._outbox.note(key, str(err))
                raise
            except PermanentChannelError as err:
                await self._outbox.finish(key, OutboxState.FAILED, reason=str(err))
                return SendResult(status=MessageStatus.FAILED, reason=str(err), channel=go.channel)
        try:
            return await self._hand_over(key, go, composed, provider, prepared)
        finally:
            if prepared is not None:
                await prepared.close()

    async def _hand_over(
        self,
        key: str,
        go: Go,
        composed: Composed,
        provider: Provider,
        prepared: Prepared | None,
    ) -> SendResult | None:
        journal = self._journal if prepared is not None else None
        began = time.monotonic()
        if not await self._outbox.begin_delivery(
            key,
            channel=go.channel,
            provider=provider.name,
            recipient=go.address,
            locale=composed.locale,
            subject=composed.subject,
            journal=journal.id if journal else None,
            at=self._clock(),
        ):
            return None
        call: Awaitable[str]
        if prepared is None:
            call = provider.sender.send(composed.message)
        else:
            if journal is not None:
                if time.monotonic() - began > HAND_OVER_WITHIN:
                    # Too late: another attempt may find no mark and send it itself. The
                    # row stays `sending` for that attempt to judge by the journal.
                    raise TransientChannelError(
                        f"the hand-over could not start within {HAND_OVER_WITHIN:.0f} s of"
                        " turning the row sending; not written"
                    )
                # Marked before the write, with no await in between: a mark means "maybe
                # written", no mark "certainly not".
                journal.handed(key)
            call = prepared.deliver()  # written before it returns
        try:
            result = await self._answer(key, go, provider, call)
        except (TransientChannelError, CutOff):
            if journal is not None:
                journal.forget(key)  # the row records what became of it
            raise
        # Forgotten only once the row records it: a failed update keeps the mark.
        if journal is not None:
            journal.forget(key)
        return result

    async def _answer(
        self, key: str, go: Go, provider: Provider, call: Awaitable[str]
    ) -> SendResult:
        """The provider's answer, recorded in the row. Raises TransientChannelError (the
        row pending again) or CutOff (waiting for the provider's events), once recorded."""
        try:
            provider_message_id = await self._watch(call)
        except TransientChannelError as err:
            if err.maybe_delivered and not provider.sender.repeat_is_harmless:
                # The provider may have it: sending again could be a second message.
                if provider.sender.reports_events:
                    reason = f"the provider may have taken it; waiting for its events: {err}"
                    await self._cut_off(key, reason[:300])
                    return await self._settled_now(key, go.channel)
                reason = f"the provider may have taken it, not resent: {err}"
                await self._outbox.finish(key, OutboxState.UNCERTAIN, reason=reason)
                return SendResult(status=MessageStatus.UNCERTAIN, reason=reason, channel=go.channel)
            await self._outbox.retry_later(key, str(err))
            raise
        except PermanentChannelError as err:
            await self._outbox.finish(key, OutboxState.FAILED, reason=str(err))
            return SendResult(status=MessageStatus.FAILED, reason=str(err), channel=go.channel)
        await self._outbox.delivered(
            key, provider_message_id=provider_message_id[:300], at=datetime.now(UTC)
        )
        return SendResult(status=MessageStatus.SENT, channel=go.channel)

    async def _settled_now(self, key: str, channel: Channel) -> SendResult:
        """The result of a row an event settled while this attempt was still on it."""
        settled = await self._outbox.settled(key)
        sent = settled.state is OutboxState.SENT
        status = MessageStatus.SENT if sent else MessageStatus.UNCERTAIN
        return SendResult(status=status, reason=settled.reason, channel=channel)
