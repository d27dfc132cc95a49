"""Email over SMTP (aiosmtplib): the real client, used locally with a mail catcher too.

Two phases, so the outbox can mark a row `sending` only for the last one:

    prepare   connect, EHLO, STARTTLS (when offered), AUTH, MAIL FROM, RCPT TO: a failure
              here is a clean refusal (the server never saw the message)
    deliver   DATA and the message: only a connection lost here (after DATA was sent,
              before the server's answer to the final ".") leaves the server maybe holding it

The connection is closed either way (QUIT after a delivery or a refusal the server
answered; dropped when the connection itself failed).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import flatten_message

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
        """Connect and open the transaction up to RCPT TO. Raises ChannelError (the server
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
        transaction = SmtpTransaction(client, mime, self.host, self.port)
        try:
            await client.connect()  # EHLO, STARTTLS and AUTH too
            sender = parseaddr(message.sender)[1]
            utf8 = not (sender + message.to).isascii()
            options = ["SMTPUTF8"] if utf8 else []
            if client.supports_extension("8BITMIME"):
                options.append("BODY=8BITMIME")
            await client.mail(sender, options=options, encoding="utf-8" if utf8 else "ascii")
            await client.rcpt(message.to, encoding="utf-8" if utf8 else "ascii")
            transaction.data = flatten_message(
                mime, utf8=utf8, cte_type="8bit" if "BODY=8BITMIME" in options else "7bit"
            )
        except aiosmtplib.SMTPResponseException as err:
            await transaction.close()
            raise _classify(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            # connection refused or dropped, timeouts: the message did not go out
            await transaction.close()
            raise TransientChannelError(f"SMTP {self.host}:{self.port}: {err}") from err
        return transaction


class SmtpTransaction:
    """One mail transaction with its recipient accepted: DATA is all that is left."""

    def __init__(self, client: aiosmtplib.SMTP, mime: EmailMessage, host: str, port: int) -> None:
        self._client = client
        self._mime = mime
        self._where = f"{host}:{port}"
        self.data = b""

    async def deliver(self) -> str:
        """DATA; return the Message-ID and the server's reply. Raises ChannelError."""
        try:
            reply = await self._client.data(self.data)
        except aiosmtplib.SMTPResponseException as err:
            # The server answered DATA or the final "." with a refusal: it does not have it.
            raise _classify(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            # Lost between DATA and the answer to the final ".": it may have it.
            raise TransientChannelError(
                f"SMTP {self._where}: connection lost during DATA: {err}", maybe_delivered=True
            ) from err
        return f"{self._mime['Message-ID']} {reply.message}"[:MAX_ID]

    async def close(self) -> None:
        """QUIT when the connection still stands, else drop it; never raises."""
        if not self._client.is_connected:
            return
        try:
            await self._client.quit()
        except (aiosmtplib.SMTPException, OSError) as err:
            log.debug("SMTP %s: QUIT failed (%s); connection dropped", self._where, err)
            self._client.close()


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
