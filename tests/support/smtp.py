"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Fixture:
    smtp_server  function  SmtpServer with .host, .port, .url, .messages, .envelopes
                           and `await wait_for_messages(count, timeout=10)`; clear
                           .rcpt_open or .data_open to stall the server there
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMail:
    """One SMTP transaction: the envelope as the client gave it, and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


def body_text(message: EmailMessage, kind: str) -> str:
    """The content of the message's `html` or `plain` part; the test fails without one."""
    part = message.get_body((kind,))
    assert part is not None, f"the mail has no {kind} part"
    text: str = part.get_content()
    return text


class SmtpServer:
    """Collects messages; `messages[i]` and `envelopes[i]` describe the same mail."""

    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port
        self.envelopes: list[ReceivedMail] = []
        # recipient -> SMTP reply, e.g. "550 5.1.1 no such mailbox" or "451 4.3.0 try later"
        self.refuse: dict[str, str] = {}
        # cleared: RCPT gets no answer until set again (a stalled server); DATA's mail is
        # kept but the answer to its final "." held back (an answer lost on the way)
        self.rcpt_open = threading.Event()
        self.rcpt_open.set()
        self.data_open = threading.Event()
        self.data_open.set()
        self.rcpt_seen = threading.Event()  # set at the first RCPT
        self.data_seen = threading.Event()  # set once a message's data has come in
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [mail.message for mail in self.envelopes]

    # aiosmtpd handler hooks; they run on the controller's own thread and loop
    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_seen.set()
        while not self.rcpt_open.is_set():
            await asyncio.sleep(0.01)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.data_seen.set()
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
        )
        with self._lock:
            self.envelopes.append(mail)
        while not self.data_open.is_set():  # kept, but the answer to "." is held back
            await asyncio.sleep(0.01)
        return "250 Message accepted for delivery"

    async def wait_for_messages(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.envelopes) < count:
            if loop.time() > deadline:
                subjects = [str(m["Subject"]) for m in self.messages]
                raise AssertionError(
                    f"expected {count} message(s) within {timeout}s,"
                    f" got {len(subjects)}: {subjects}"
                )
            await asyncio.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(_free_port())
    controller = Controller(server, hostname=server.host, port=server.port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
