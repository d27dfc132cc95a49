"""The simulator's channels: every message is captured instead of sent.

One `sending.delivery.Provider` per channel, so the send activity runs exactly as in
production (outbox, order check, policy, composition) up to the provider call; the
sender records what it was given and tells the listener (the simulated customer hears of
its message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from channels.outgoing import EmailOut, PushOut, SmsOut, WebhookOut
from sending.delivery import Provider
from workflows.payloads import Channel

M = TypeVar("M", EmailOut, SmsOut, PushOut, WebhookOut)


@dataclass(frozen=True)
class Captured:
    """One message as its channel's provider was given it."""

    key: str  # the outbox key: workflow id, run id, step
    channel: Channel
    to: str  # address, number, push token or webhook target
    subject: str | None  # email subject, push title
    cart_id: str | None
    message_id: str | None


Listener = Callable[[Captured], Awaitable[None]]


class Capture:
    """Holds what every channel was given, by outbox key."""

    def __init__(self, listener: Listener | None = None) -> None:
        self.messages: dict[str, Captured] = {}
        self.listener = listener

    def providers(self) -> dict[Channel, Provider]:
        return {
            Channel.EMAIL: Provider("capture", _Recorder(self, Channel.EMAIL, _email)),
            Channel.SMS: Provider("capture", _Recorder(self, Channel.SMS, _sms)),
            Channel.PUSH: Provider("capture", _Recorder(self, Channel.PUSH, _push)),
            Channel.WEBHOOK: Provider("capture", _Recorder(self, Channel.WEBHOOK, _webhook)),
        }

    async def record(self, captured: Captured) -> str:
        self.messages[captured.key] = captured
        if self.listener is not None:
            await self.listener(captured)
        return f"captured-{len(self.messages)}"


class _Recorder(Generic[M]):
    """A channel's sender that keeps the message."""

    repeat_is_harmless = True  # nothing leaves the machine
    reports_events = False

    def __init__(self, capture: Capture, channel: Channel, read: Callable[[M], Captured]) -> None:
        self._capture = capture
        self._channel = channel
        self._read: Callable[[M], Captured] = read

    async def send(self, message: M) -> str:
        return await self._capture.record(self._read(message))


def _email(message: EmailOut) -> Captured:
    return Captured(
        key=message.idempotency_key,
        channel=Channel.EMAIL,
        to=message.to,
        subject=message.subject,
        cart_id=message.metadata.get("cart_id"),
        message_id=message.metadata.get("message_id"),
    )


def _sms(message: SmsOut) -> Captured:
    return Captured(
        key=message.idempotency_key,
        channel=Channel.SMS,
        to=message.to,
        subject=None,
        cart_id=message.metadata.get("cart_id"),
        message_id=message.metadata.get("message_id"),
    )


def _push(message: PushOut) -> Captured:
    return Captured(
        key=message.idempotency_key,
        channel=Channel.PUSH,
        to=message.token,
        subject=message.title,
        cart_id=message.metadata.get("cart_id"),
        message_id=message.metadata.get("message_id"),
    )


def _webhook(message: WebhookOut) -> Captured:
    return Captured(
        key=message.idempotency_key,
        channel=Channel.WEBHOOK,
        to=message.target,
        subject=None,
        cart_id=None,
        message_id=None,
    )
