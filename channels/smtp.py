"""Email over SMTP (aiosmtplib): the real client, used locally with a mail catcher too.

Two phases, so the outbox can mark a row `sending` only for the last one:

    prepare   connect, EHLO, STARTTLS (when offered), AUTH, MAIL FROM, RCPT TO, and DATA
              up to the server's 354: a failure here is a clean refusal (the server holds
              nothing; a connection dropped before the final "." discards the mail)
    deliver   the message and its final ".", written at once, then the server's answer:
              only a connection lost before that answer leaves the server maybe holding it

The connection is closed either way (QUIT after a delivery or a refusal the server
answered; dropped when the connection itself failed or the attempt was abandoned).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import flatten_message
from aiosmtplib.protocol import PERIOD_REGEX, SMTPProtocol, normalize_message_line_endings

from channels.errors import PermanentChannelError, TransientChannelError
from channels.outgoing import EmailOut

log = logging.getLogger("cartnudge.channels")

# What the outbox keeps of the id.
MAX_ID = 300


@dataclass(frozen=True)
class SmtpEmailSender:
    """Sends one message per connection; parsed from `smtp[s]://user:password@host:port`."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    timeout: float = 30
    # SMTP has no idempotency key; the stable Message-ID lets a receiving system spot a
    # duplicate, but the recipient may still see two emails.
    repeat_is_harmless = False
    # A server tells us nothing after it answered the final ".".
    reports_events = False

    @classmethod
    def from_url(cls, url: str) -> SmtpEmailSender:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP URL must look like smtp://host:port, got {url!r}")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
        )

    async def send(self, message: EmailOut) -> str:
        """Deliver the email; return its Message-ID and the server's reply. Raises ChannelError."""
        prepared = await self.prepare(message)
        try:
            return await prepared.deliver()
        finally:
            await prepared.close()

    async def prepare(self, message: EmailOut) -> SmtpTransaction:
        """Connect and open the transaction up to DATA's 354. Raises ChannelError (the server
        did not take the message: never `maybe_delivered`)."""
        mime = email_message(message)
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=None,  # STARTTLS when the server offers it; plain on loopback catchers
            timeout=self.timeout,
        )
        transaction = SmtpTransaction(client, mime, self.host, self.port, self.timeout)
        # Inside DATA a QUIT would be read as the mail's text: until the final "." is
        # answered, giving up drops the connection (the server then discards the mail).
        transaction.answered = False
        try:
            await client.connect()  # EHLO, STARTTLS and AUTH too
            sender = parseaddr(message.sender)[1]
            utf8 = not (sender + message.to).isascii()
            options = ["SMTPUTF8"] if utf8 else []
            if client.supports_extension("8BITMIME"):
                options.append("BODY=8BITMIME")
            await client.mail(sender, options=options, encoding="utf-8" if utf8 else "ascii")
            await client.rcpt(message.to, encoding="utf-8" if utf8 else "ascii")
            flat = flatten_message(
                mime, utf8=utf8, cte_type="8bit" if "BODY=8BITMIME" in options else "7bit"
            )
            go_ahead = await client.execute_command(b"DATA")
            if go_ahead.code != aiosmtplib.SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(go_ahead.code, go_ahead.message)
            # dot-stuffed and terminated as DATA sends it
            transaction.payload = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(flat))
        except aiosmtplib.SMTPResponseException as err:
            transaction.answered = True  # a refusal: the server still talks, QUIT it
            await transaction.close()
            raise _classify(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            # connection refused or dropped, timeouts: the message did not go out
            await transaction.close()
            raise TransientChannelError(f"SMTP {self.host}:{self.port}: {err}") from err
        except BaseException:
            await transaction.close()  # cancelled (the attempt abandoned): just drop it
            raise
        return transaction


class SmtpTransaction:
    """One mail transaction the server said 354 to: the message is all that is left."""

    def __init__(
        self, client: aiosmtplib.SMTP, mime: EmailMessage, host: str, port: int, timeout: float
    ) -> None:
        self._client = client
        self._mime = mime
        self._where = f"{host}:{port}"
        self._timeout = timeout
        self.payload = b""  # the message, dot-stuffed, without the final "."
        # The server answered the last command (or refused it): QUIT is safe. After a lost
        # connection or an abandoned attempt the connection is dropped instead.
        self.answered = True

    def deliver(self) -> Awaitable[str]:
        """Write the message and its final "." now, before returning (so nothing runs
        between the outbox's `sending` and the hand-over); the awaitable is the server's
        answer: the Message-ID and its reply. Raises ChannelError."""
        self.answered = False
        protocol = self._client.protocol
        try:
            if protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("connection lost before DATA")
            protocol.write(self.payload + b".\r\n")
        except (aiosmtplib.SMTPException, OSError) as err:
            # nothing written: the server discards a transaction without its final "."
            failed = TransientChannelError(f"SMTP {self._where}: {err}")
            failed.__cause__ = err
            return _raising(failed)
        return self._answer(protocol)

    async def _answer(self, protocol: SMTPProtocol) -> str:
        try:
            reply = await protocol.read_response(timeout=self._timeout)
        except (aiosmtplib.SMTPException, OSError) as err:
            # Lost after the final ".", before its answer: the server may have it.
            raise TransientChannelError(
                f"SMTP {self._where}: no answer to the message: {err}", maybe_delivered=True
            ) from err
        self.answered = True
        if reply.code != aiosmtplib.SMTPStatus.completed:
            # The server answered the final "." with a refusal: it does not have it.
            raise _classify(reply.code, reply.message)
        return f"{self._mime['Message-ID']} {reply.message}"[:MAX_ID]

    async def close(self) -> None:
        """QUIT when the server is still answering, else drop the connection; never raises."""
        if not self._client.is_connected:
            return
        if not self.answered:
            self._client.close()
            return
        try:
            await self._client.quit()
        except (aiosmtplib.SMTPException, OSError) as err:
            log.debug("SMTP %s: QUIT failed (%s); connection dropped", self._where, err)
            self._client.close()


async def _raising(err: Exception) -> str:
    raise err


def email_message(out: EmailOut) -> EmailMessage:
    """The MIME message for an email: text part, then the HTML alternative."""
    message = EmailMessage()
    message["From"] = out.sender
    message["To"] = formataddr((out.to_name or "", out.to))
    message["Subject"] = out.subject
    message["Message-ID"] = message_id(out.idempotency_key)
    for name, value in out.headers.items():
        message[name] = value
    message["X-Cartnudge-Key"] = out.idempotency_key
    message.set_content(out.text)
    message.add_alternative(out.html, subtype="html")
    return message


def message_id(idempotency_key: str) -> str:
    """Stable per journey step: a receiving system can spot a duplicate if one slipped out."""
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@cartnudge>"


def _classify(code: int, text: str) -> TransientChannelError | PermanentChannelError:
    if 400 <= code < 500:
        return TransientChannelError(f"SMTP {code}: {text}")
    return PermanentChannelError(f"SMTP {code}: {text}")
