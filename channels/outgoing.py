"""What cartnudge hands a channel to deliver, one dataclass per channel kind.

Every provider client takes its message type and an injected `httpx.AsyncClient` (SMTP
aside) and returns the provider's id for the message, or raises a `ChannelError`.

`idempotency_key` is the outbox key of the journey step (workflow, run, step): the same
step always carries the same key, so a provider that deduplicates by key (or a receiver
that does) sees a retry as the message it already has.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable


@dataclass(frozen=True)
class EmailOut:
    idempotency_key: str
    to: str
    to_name: str | None
    sender: str  # "Name <address>"
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe and friends
    # Carried through the provider and back in its webhooks (SendGrid custom_args,
    # Postmark Metadata), so an event finds its message.
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SmsOut:
    idempotency_key: str
    to: str  # E.164, e.g. +905321234567
    body: str  # already carries the opt-out instructions
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PushOut:
    idempotency_key: str
    token: str  # FCM registration token
    title: str
    body: str
    url: str | None = None  # opened when the notification is tapped
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookOut:
    idempotency_key: str
    target: str  # name of a configured target
    payload: dict[str, Any]


M_contra = TypeVar("M_contra", EmailOut, SmsOut, PushOut, WebhookOut, contravariant=True)


class Sender(Protocol[M_contra]):
    """One provider for one channel."""

    # True when sending the same message (same idempotency_key) twice shows it only once:
    # the provider deduplicates by key, or the device replaces a notification with the
    # same tag. Only then may an attempt that died mid-send be repeated.
    repeat_is_harmless: bool
    # True when the provider posts events for each message it took (delivered, queued,
    # opened...) carrying our key back to us: a row cut off mid-send is then settled by
    # its events, or resent once they stay silent (sending/delivery.py).
    reports_events: bool

    async def send(self, message: M_contra) -> str:
        """Deliver the message; return the provider's message id. Raises ChannelError."""
        ...


class Prepared(Protocol):
    """A message a provider has agreed to take, not handed over yet (see TwoPhaseSender)."""

    def deliver(self) -> Awaitable[str]:
        """Hand the message over at once, before returning (nothing may run between the
        outbox's `sending` and the hand-over); the awaitable is the provider's answer, its
        message id. Raises ChannelError; `maybe_delivered` only when it may have it."""
        ...

    async def close(self) -> None:
        """Let go of the connection, delivered or not; never raises."""
        ...


@runtime_checkable
class TwoPhaseSender(Protocol[M_contra]):
    """A sender that can do everything but the hand-over first (SMTP: connect, EHLO,
    STARTTLS, AUTH, MAIL FROM, RCPT TO), so a failure there is a clean "did not take it"
    and only `Prepared.deliver` (SMTP: DATA) can leave the provider maybe holding it."""

    async def prepare(self, message: M_contra) -> Prepared:
        """Everything but the hand-over. Raises ChannelError, never `maybe_delivered`."""
        ...
