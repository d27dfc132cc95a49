"""Email over SMTP (aiosmtplib): the real client, used locally with a mail catcher too."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlsplit

import aiosmtplib

from channels.errors import PermanentChannelError, TransientChannelError
from channels.outgoing import EmailOut

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
        mime = email_message(message)
        try:
            errors, reply = await aiosmtplib.send(
                mime,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.implicit_tls,
                # STARTTLS when the server offers it; plain on loopback catchers
                start_tls=None,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as err:
            raise _classify(err.recipients[0].code, str(err)) from err
        except aiosmtplib.SMTPResponseException as err:
            raise _classify(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError) as err:
            # connection refused or dropped, timeouts: the message did not go out
            raise TransientChannelError(f"SMTP {self.host}:{self.port}: {err}") from err
        if errors:
            code = next(iter(errors.values())).code
            raise _classify(code, f"recipient refused: {errors}")
        return f"{mime['Message-ID']} {reply}"[:MAX_ID]


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
