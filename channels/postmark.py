"""Email through Postmark's Email API (POST /email, X-Postmark-Server-Token).

Cart reminders are commercial mail, so they go out on a broadcast message stream ("broadcast"
is the id Postmark gives a server's default one). Postmark answers 200 with `MessageID`;
a refused message comes back as 422 with its own `ErrorCode` (300 invalid email request,
406 inactive recipient ...), which the HTTP status already makes permanent.
"""

from __future__ import annotations

from typing import Any

import httpx

from channels.http_errors import json_object, post, raise_for_status
from channels.outgoing import EmailOut

PROVIDER = "Postmark"
DEFAULT_API_URL = "https://api.postmarkapp.com"


class PostmarkSender:
    # Postmark has no idempotency key: a repeated request is a second email.
    repeat_is_harmless = False

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        server_token: str,
        api_url: str = DEFAULT_API_URL,
        message_stream: str = "broadcast",
        reports_events: bool = True,
    ) -> None:
        # Its webhooks carry our Metadata (a Delivery soon after each message): False when
        # they are not set up here, so nothing comes back to settle a row by.
        self.reports_events = reports_events
        self._client = client
        self._server_token = server_token
        self._url = f"{api_url.rstrip('/')}/email"
        self._message_stream = message_stream

    async def send(self, message: EmailOut) -> str:
        """Hand the email to Postmark; return its MessageID. Raises ChannelError."""
        response = await post(
            self._client,
            PROVIDER,
            self._url,
            json=email_body(message, message_stream=self._message_stream),
            headers={"Accept": "application/json", "X-Postmark-Server-Token": self._server_token},
        )
        answer = json_object(response)
        raise_for_status(PROVIDER, response, detail=_error_text(answer))
        return str(answer.get("MessageID", ""))


def email_body(message: EmailOut, *, message_stream: str) -> dict[str, Any]:
    """The Email API JSON for one email to one recipient."""
    return {
        "From": message.sender,
        "To": _address(message.to_name, message.to),
        "Subject": message.subject,
        "HtmlBody": message.html,
        "TextBody": message.text,
        "Headers": [{"Name": name, "Value": value} for name, value in message.headers.items()],
        "Metadata": {**message.metadata, "cartnudge_key": message.idempotency_key},
        "MessageStream": message_stream,
    }


def _address(name: str | None, address: str) -> str:
    # Quoted but not RFC 2047-encoded: Postmark takes UTF-8 JSON and encodes the header itself.
    if not name:
        return address
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def _error_text(answer: dict[str, Any]) -> str | None:
    if "ErrorCode" not in answer:
        return None
    return f"ErrorCode {answer['ErrorCode']}: {answer.get('Message', '')}"
