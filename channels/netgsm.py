"""SMS through Netgsm's REST v2 API (POST /sms/rest/v2/send, HTTP basic auth).

Request, as Netgsm's own client library (@netgsm/sms) sends it:

    {"msgheader": "<approved sender name>", "encoding": "TR", "iysfilter": "11",
     "messages": [{"msg": "<text>", "no": "905321234567"}]}

`encoding` "TR" keeps Turkish letters (ç ğ ı ö ş ü) instead of replacing them. `iysfilter`
"11" marks the message commercial, to an individual: Netgsm checks it against İYS (Turkey's
consent registry) and drops it when the recipient has not consented ("12" is commercial to a
merchant, "0" informational and unchecked). `no` is the E.164 number without "+". Netgsm's
examples use the national form (5XXXXXXXXX); that it takes 905XXXXXXXXX alike is assumed,
and numbers abroad are untested.

Netgsm answers {"code": ..., "description": ..., "jobid": ...}, normally with HTTP 200; the
code is read whatever the status (below 500), and says what happened:

    00        accepted; `jobid` is the message id
    20        message text problem or too long      permanent
    30        bad credentials, no API access or a   permanent
              refused IP address
    40        msgheader not defined                 permanent
    50, 51    account can not send İYS-checked SMS  permanent
              or has no İYS brand
    70        bad or missing parameter              permanent
    80        sending rate limit                    transient
    85        more than 20 messages to one number   transient, after a minute
              within a minute
    100, 101  Netgsm system error                   transient
    other     undocumented                          permanent, so someone looks
"""

from __future__ import annotations

from enum import StrEnum

import httpx

from channels.errors import ChannelError, PermanentChannelError, TransientChannelError
from channels.http_errors import json_object, post, raise_for_status
from channels.outgoing import SmsOut

PROVIDER = "Netgsm"
DEFAULT_API_URL = "https://api.netgsm.com.tr"
COMMERCIAL_TO_INDIVIDUAL = "11"


class NetgsmCode(StrEnum):
    OK = "00"
    MESSAGE_TEXT = "20"
    AUTH = "30"
    HEADER = "40"
    IYS_NOT_ALLOWED = "50"
    IYS_NO_BRAND = "51"
    PARAMETERS = "70"
    RATE_LIMIT = "80"
    DUPLICATE_LIMIT = "85"
    SYSTEM_ERROR = "100"
    SYSTEM_ERROR_2 = "101"


_TRANSIENT = {NetgsmCode.RATE_LIMIT, NetgsmCode.SYSTEM_ERROR, NetgsmCode.SYSTEM_ERROR_2}


class NetgsmSender:
    # Netgsm has no idempotency key: a repeated request is a second SMS.
    repeat_is_harmless = False
    reports_events = False  # no delivery reports wired in: a row cut off stays uncertain

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        usercode: str,
        password: str,
        header: str,
        api_url: str = DEFAULT_API_URL,
        iys_filter: str = COMMERCIAL_TO_INDIVIDUAL,
    ) -> None:
        self._client = client
        self._auth = httpx.BasicAuth(usercode, password)
        self._header = header
        self._url = f"{api_url.rstrip('/')}/sms/rest/v2/send"
        self._iys_filter = iys_filter

    async def send(self, message: SmsOut) -> str:
        """Hand the SMS to Netgsm; return its jobid. Raises ChannelError."""
        body = {
            "msgheader": self._header,
            "encoding": "TR",
            "iysfilter": self._iys_filter,
            "messages": [{"msg": message.body, "no": message.to.removeprefix("+")}],
        }
        response = await post(self._client, PROVIDER, self._url, json=body, auth=self._auth)
        answer = json_object(response)
        code = answer.get("code")
        if code is None or response.status_code >= 500:
            raise_for_status(PROVIDER, response)
            raise TransientChannelError(f"{PROVIDER}: answer without a code: {response.text[:200]}")
        code = str(code).zfill(2)  # "00"; a number 0 would read "0"
        if code != NetgsmCode.OK:
            raise code_error(code, str(answer.get("description") or ""))
        return str(answer.get("jobid", ""))


def code_error(code: str, description: str) -> ChannelError:
    """The error for a Netgsm result code other than 00."""
    text = f"{PROVIDER}: code {code}" + (f": {description[:200]}" if description else "")
    if code == NetgsmCode.DUPLICATE_LIMIT:
        return TransientChannelError(text, retry_after=60)
    if code in _TRANSIENT:
        return TransientChannelError(text)
    return PermanentChannelError(text)
