"""SMS through Twilio's Programmable Messaging API.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth (account SID, auth
token) and a form body. `sender` is a phone number (From) or a Messaging Service SID starting
with "MG" (MessagingServiceSid). Twilio answers 201 with the message `sid`.

Refusals come back as HTTP 400 with Twilio's own `code`, permanent by their status: 21211
invalid To number, 21614 To is not a mobile number, 21610 the recipient replied STOP. One 400
is the exception: 21611, the sender's queue is full, clears by itself and is transient.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from channels.errors import TransientChannelError
from channels.http_errors import json_object, post, raise_for_status
from channels.outgoing import SmsOut

PROVIDER = "Twilio"
DEFAULT_API_URL = "https://api.twilio.com"
QUEUE_FULL = 21611


class TwilioSender:
    # Twilio has no idempotency key for messages: a repeated request is a second SMS.
    repeat_is_harmless = False

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = DEFAULT_API_URL,
        status_callback_url: str | None = None,
    ) -> None:
        self._client = client
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._sender = sender
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._status_callback_url = status_callback_url
        # Twilio calls the status callback for each message it took (queued, sent,
        # delivered...), our key in its URL.
        self.reports_events = status_callback_url is not None

    async def send(self, message: SmsOut) -> str:
        """Hand the SMS to Twilio; return its message sid. Raises ChannelError."""
        response = await post(
            self._client, PROVIDER, self._url, data=self._form(message), auth=self._auth
        )
        answer = json_object(response)
        if not response.is_success and answer.get("code") == QUEUE_FULL:
            raise TransientChannelError(f"{PROVIDER}: {_error_text(answer)}")
        raise_for_status(PROVIDER, response, detail=_error_text(answer))
        return str(answer.get("sid", ""))

    def _form(self, message: SmsOut) -> dict[str, str]:
        form = {"To": message.to, "Body": message.body}
        if self._sender.startswith("MG"):
            form["MessagingServiceSid"] = self._sender
        else:
            form["From"] = self._sender
        if self._status_callback_url:
            # the key comes back with every status event, so the event finds its message
            joiner = "&" if "?" in self._status_callback_url else "?"
            key = quote(message.idempotency_key, safe="")
            form["StatusCallback"] = f"{self._status_callback_url}{joiner}key={key}"
        return form


def _error_text(answer: dict[str, Any]) -> str | None:
    # {"code": 21211, "message": "...", "more_info": "https://...", "status": 400}
    if "code" not in answer:
        return None
    return f"error {answer['code']}: {answer.get('message', '')}"
