"""A Twilio-compatible SMS stub on loopback that keeps every message it accepts.

    POST /2010-04-01/Accounts/{sid}/Messages.json   basic auth (sid, token); form To, From
                                                    (or MessagingServiceSid), Body; answers
                                                    201 with the message and a unique `sid`
    GET  /2010-04-01/Accounts/{sid}/Messages.json   the accepted messages, newest first;
                                                    `To` and `From` filter, like Twilio's list

Errors come back the way Twilio sends them: 401 with code 20003 for bad credentials, 400 with
21604 / 21603 / 21602 for a missing To / From / Body.

Like Twilio, it calls the `StatusCallback` URL a message was sent with, once per status in
`statuses` ("sent", then "delivered"), a form POST of MessageSid, MessageStatus, AccountSid,
To and From signed with the auth token (X-Twilio-Signature over that URL and the
parameters, api/webhook_signatures.py). A callback that fails (no answer, a 5xx) is tried a
few more times, a moment apart; `callbacks` counts those answered with a 2xx.

In a program (`with SmsStub(account_sid=..., auth_token=...) as stub: stub.url,
stub.messages`) it serves from a thread; `python -m devstack.sms_stub --port 8099` serves in
the foreground and logs each message, for trying SMS journeys with `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.webhook_signatures import twilio_signature
from devstack.services import Service

API_VERSION = "2010-04-01"
MESSAGES_PATH = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json"
START_TIMEOUT = 10.0
STATUSES = ("sent", "delivered")  # what Twilio reports of a message that reached a phone
CALLBACK_TRIES = 5
CALLBACK_TIMEOUT = 10.0

log = logging.getLogger("cartnudge.sms_stub")


@dataclass(frozen=True)
class StubSms:
    """One accepted message, as Twilio would describe it."""

    sid: str
    account_sid: str
    to: str
    sender: str  # From, or the MessagingServiceSid
    body: str
    date_created: datetime

    def resource(self) -> dict[str, Any]:
        """Twilio's JSON for the message (the fields a client reads)."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "from": self.sender,
            "body": self.body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "api_version": API_VERSION,
            "date_created": format_datetime(self.date_created, usegmt=True),
            "error_code": None,
            "error_message": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json",
        }


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


class SmsStub(Service):
    """The stub server; `messages` holds every accepted message in arrival order."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        port: int = 0,
        statuses: tuple[str, ...] = STATUSES,
        callback_delay: float = 0.2,  # seconds before the first status, as Twilio takes a moment
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.statuses = statuses
        self.callback_delay = callback_delay
        self._messages: list[StubSms] = []
        self._callbacks = 0
        self._pending: set[asyncio.Task[None]] = set()  # callbacks on their way
        self._lock = threading.Lock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.host, port))
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where a Twilio client's API URL should point (CARTNUDGE_TWILIO_API_URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def messages(self) -> list[StubSms]:
        with self._lock:
            return list(self._messages)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    @property
    def callbacks(self) -> int:
        """Status callbacks answered with a 2xx."""
        with self._lock:
            return self._callbacks

    def app(self) -> Starlette:
        route = Route(MESSAGES_PATH, self._messages_endpoint, methods=["GET", "POST"])
        return Starlette(routes=[route])

    async def _messages_endpoint(self, request: Request) -> JSONResponse:
        account_sid = request.path_params["account_sid"]
        if not self._authorized(request, account_sid):
            return _error(401, 20003, "Authenticate")
        if request.method == "GET":
            return self._list(request)
        form = await request.form()
        to, body = form.get("To"), form.get("Body")
        sender = form.get("From") or form.get("MessagingServiceSid")
        if not isinstance(to, str) or not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not isinstance(sender, str) or not sender:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not isinstance(body, str) or not body:
            return _error(400, 21602, "Message body is required.")
        sms = StubSms(
            sid=f"SM{uuid.uuid4().hex}",
            account_sid=account_sid,
            to=to,
            sender=sender,
            body=body,
            date_created=datetime.now(UTC),
        )
        with self._lock:
            self._messages.append(sms)
        log.info("SMS %s to %s: %s", sms.sid, sms.to, sms.body)
        callback = form.get("StatusCallback")
        if isinstance(callback, str) and callback:
            task = asyncio.create_task(self._report(sms, callback))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return JSONResponse(sms.resource(), status_code=201)

    async def _report(self, sms: StubSms, url: str) -> None:
        """Post each status of the message to its StatusCallback, signed as Twilio signs."""
        await asyncio.sleep(self.callback_delay)
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as client:
            for message_status in self.statuses:
                params = {
                    "AccountSid": sms.account_sid,
                    "From": sms.sender,
                    "MessageSid": sms.sid,
                    "MessageStatus": message_status,
                    "SmsSid": sms.sid,
                    "SmsStatus": message_status,
                    "To": sms.to,
                    "ApiVersion": API_VERSION,
                }
                signature = twilio_signature(self.auth_token, url, params.items())
                if not await self._post_callback(client, url, params, signature):
                    return

    async def _post_callback(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str], signature: str
    ) -> bool:
        for attempt in range(CALLBACK_TRIES):
            try:
                response = await client.post(
                    url, data=params, headers={"X-Twilio-Signature": signature}
                )
            except httpx.HTTPError as err:
                answer = f"{type(err).__name__}: {err}"
            else:
                if response.is_success:
                    with self._lock:
                        self._callbacks += 1
                    return True
                answer = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500:
                    break
            await asyncio.sleep(0.5 * (attempt + 1))
        log.warning("status callback %s for %s failed: %s", url, params["MessageSid"], answer)
        return False

    def _authorized(self, request: Request, account_sid: str) -> bool:
        # httpx.BasicAuth and Twilio's own clients send the header; compare it whole.
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        given = request.headers.get("authorization", "")
        return account_sid == self.account_sid and given == f"Basic {expected}"

    def _list(self, request: Request) -> JSONResponse:
        wanted = {
            field: request.query_params[param]
            for field, param in (("to", "To"), ("sender", "From"))
            if param in request.query_params
        }
        found = [
            sms.resource()
            for sms in reversed(self.messages)
            if all(getattr(sms, field) == value for field, value in wanted.items())
        ]
        return JSONResponse({"messages": found, "page": 0, "page_size": len(found)})

    # --- running -----------------------------------------------------------------------

    def start(self) -> None:
        """Serve from a background thread; return once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the SMS stub did not start on {self.url}")
            time.sleep(0.02)

    def serve_forever(self) -> None:
        """Serve in the foreground until SIGINT or SIGTERM."""
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        self._socket.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="stub-auth-token")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sms   %(message)s", datefmt="%X")
    stub = SmsStub(account_sid=args.account_sid, auth_token=args.auth_token, port=args.port)
    log.info(
        "Twilio stub on %s (CARTNUDGE_TWILIO_API_URL), account %s, token %s",
        stub.url,
        stub.account_sid,
        stub.auth_token,
    )
    stub.serve_forever()


if __name__ == "__main__":
    main()
