"""Email through SendGrid's v3 Mail Send API (POST /v3/mail/send, Bearer API key).

SendGrid answers 202 with the message id in the `X-Message-Id` header. The outbox key travels
as the custom arg `cartnudge_key` (next to `EmailOut.metadata`), so Event Webhook posts find
their message.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

import httpx

from channels.http_errors import json_object, post, raise_for_status
from channels.outgoing import EmailOut

PROVIDER = "SendGrid"
DEFAULT_API_URL = "https://api.sendgrid.com"


class SendgridSender:
    # SendGrid has no idempotency key: a repeated request is a second email.
    repeat_is_harmless = False

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        reports_events: bool = True,
    ) -> None:
        # Its Event Webhook posts every event with our custom arg (`processed` first): False
        # when the webhook is not set up here, so nothing comes back to settle a row by.
        self.reports_events = reports_events
        self._client = client
        self._api_key = api_key
        self._url = f"{api_url.rstrip('/')}/v3/mail/send"

    async def send(self, message: EmailOut) -> str:
        """Hand the email to SendGrid; return its X-Message-Id. Raises ChannelError."""
        response = await post(
            self._client,
            PROVIDER,
            self._url,
            json=mail_send_body(message),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )
        raise_for_status(PROVIDER, response, detail=_error_text(response))
        # Accepted all the same when the header is missing; custom_args still find it.
        return str(response.headers.get("X-Message-Id", ""))


def mail_send_body(message: EmailOut) -> dict[str, Any]:
    """The v3 Mail Send JSON for one email to one recipient."""
    recipient: dict[str, str] = {"email": message.to}
    if message.to_name:
        recipient["name"] = message.to_name
    sender_name, sender_address = parseaddr(message.sender)
    sender: dict[str, str] = {"email": sender_address}
    if sender_name:
        sender["name"] = sender_name
    body: dict[str, Any] = {
        "personalizations": [{"to": [recipient]}],
        "from": sender,
        "subject": message.subject,
        # SendGrid requires text/plain before text/html
        "content": [
            {"type": "text/plain", "value": message.text},
            {"type": "text/html", "value": message.html},
        ],
        "custom_args": {**message.metadata, "cartnudge_key": message.idempotency_key},
    }
    if message.headers:
        body["headers"] = dict(message.headers)
    return body


def _error_text(response: httpx.Response) -> str | None:
    # {"errors": [{"message": "...", "field": "...", "help": ...}]}
    errors = json_object(response).get("errors")
    if not isinstance(errors, list):
        return None
    texts = [
        f"{error.get('field')}: {error.get('message')}"
        if error.get("field")
        else error.get("message")
        for error in errors
        if isinstance(error, dict)
    ]
    return "; ".join(str(text) for text in texts) or None
