"""Delivery: hand a composed message to its channel's provider through the outbox, once.

    pending ─begin─> sending ─the provider took it──────────────────────> sent
                        ├─ refused for good ────────────────────────────> failed
                        ├─ may have it (answer lost), a repeat would show > uncertain
                        └─ did not take it ─> pending again, TransientChannelError raised

An attempt that died while `sending` is resumed only where the provider shows a repeat once
(`Sender.repeat_is_harmless`: it deduplicates by the idempotency key); elsewhere the row
becomes `uncertain` and is never resent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.errors import PermanentChannelError, TransientChannelError
from channels.outgoing import Sender
from sending.composition import Composed
from sending.policy import Go
from storage.outbox import Outbox, OutboxState
from workflows.payloads import Channel, MessageStatus, SendResult

# Awaits the provider's call; the send activity heartbeats meanwhile.
Watch = Callable[[Awaitable[str]], Awaitable[str]]


@dataclass(frozen=True)
class Provider:
    """The configured provider of one channel."""

    name: str  # "smtp", "sendgrid", "twilio"... recorded on each message
    sender: Sender[Any]


async def _unwatched(call: Awaitable[str]) -> str:
    return await call


class Delivery:
    def __init__(
        self, outbox: Outbox, providers: Mapping[Channel, Provider], *, watch: Watch = _unwatched
    ) -> None:
        self._outbox = outbox
        self._providers = providers
        self._watch = watch

    @property
    def channels(self) -> Collection[Channel]:
        """The channels a provider is configured for."""
        return self._providers.keys()

    async def resume_interrupted(self, key: str) -> OutboxState:
        """An earlier attempt died mid-send: pending again where a repeat is harmless."""
        settled = await self._outbox.settled(key)
        provider = self._providers.get(settled.channel)
        if provider is not None and provider.sender.repeat_is_harmless:
            await self._outbox.retry_later(
                key, f"an attempt died mid-send; {provider.name} shows a repeat only once"
            )
            return OutboxState.PENDING
        reason = "an earlier attempt stopped mid-delivery; not resent"
        await self._outbox.finish(key, OutboxState.UNCERTAIN, reason=reason)
        return OutboxState.UNCERTAIN

    async def deliver(self, key: str, go: Go, composed: Composed) -> SendResult | None:
        """SENT, FAILED (refused for good) or UNCERTAIN; None if another attempt began first.

        Raises `TransientChannelError` when the provider did not take it (the row is pending
        again, for the next attempt).
        """
        provider = self._providers[go.channel]
        if not await self._outbox.begin_delivery(
            key,
            channel=go.channel,
            provider=provider.name,
            recipient=go.address,
            locale=composed.locale,
            subject=composed.subject,
        ):
            return None
        try:
            provider_message_id = await self._watch(provider.sender.send(composed.message))
        except TransientChannelError as err:
            if err.maybe_delivered and not provider.sender.repeat_is_harmless:
                # The provider may have it: sending again could be a second message.
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
