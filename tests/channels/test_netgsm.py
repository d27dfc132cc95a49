"""Netgsm gets exactly the REST v2 send request, and its result codes are read."""

from __future__ import annotations

import base64

import httpx
import pytest

from channels.errors import ChannelError, PermanentChannelError, TransientChannelError
from channels.netgsm import NetgsmSender
from tests.channels import FakeApi, json_body
from tests.channels.senders import NETGSM_SMS as SMS
from tests.channels.senders import send_netgsm as send


async def test_posts_the_send_request_and_returns_the_jobid() -> None:
    fake = FakeApi(
        httpx.Response(
            200, json={"code": "00", "jobid": "17377215342605050417149344", "description": "queued"}
        )
    )

    assert await send(fake) == "17377215342605050417149344"

    request = fake.request
    assert (request.method, str(request.url)) == ("POST", "https://netgsm.test/sms/rest/v2/send")
    credentials = base64.b64encode(b"8501234567:ng-pass").decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert json_body(request) == {
        "msgheader": "KOSUDUKKAN",
        "encoding": "TR",
        "iysfilter": "11",
        "messages": [{"msg": SMS.body, "no": "905321234567"}],
    }


def test_a_repeat_would_be_a_second_sms() -> None:
    assert NetgsmSender.repeat_is_harmless is False


@pytest.mark.parametrize(
    ("code", "error_type", "retry_after"),
    [
        ("20", PermanentChannelError, None),  # message text
        ("30", PermanentChannelError, None),  # credentials
        ("40", PermanentChannelError, None),  # sender name
        ("50", PermanentChannelError, None),  # İYS
        ("51", PermanentChannelError, None),
        ("70", PermanentChannelError, None),  # parameters
        ("80", TransientChannelError, None),  # rate limit
        ("85", TransientChannelError, 60),  # 20 to one number within a minute
        ("100", TransientChannelError, None),  # Netgsm system error
        ("101", TransientChannelError, None),
        ("99", PermanentChannelError, None),  # undocumented: someone should look
    ],
)
async def test_result_codes_are_classified(
    code: str, error_type: type[ChannelError], retry_after: float | None
) -> None:
    reply = httpx.Response(200, json={"code": code, "description": "refused"})
    with pytest.raises(error_type) as raised:
        await send(FakeApi(reply))
    assert str(raised.value) == f"Netgsm: code {code}: refused"
    assert getattr(raised.value, "retry_after", None) == retry_after


async def test_a_code_in_a_non_200_answer_is_read_too() -> None:
    reply = httpx.Response(406, json={"code": "30", "description": "invalid credentials"})
    with pytest.raises(PermanentChannelError, match="code 30: invalid credentials"):
        await send(FakeApi(reply))


@pytest.mark.parametrize(
    ("reply", "error_type", "retry_after"),
    [
        (httpx.Response(500, text="<html>oops</html>"), TransientChannelError, None),
        (httpx.Response(502, json={"code": "30"}), TransientChannelError, None),
        (httpx.Response(429, headers={"Retry-After": "7"}), TransientChannelError, 7),
        (httpx.ReadTimeout, TransientChannelError, None),
        (httpx.Response(404, text="not here"), PermanentChannelError, None),
        (httpx.Response(200, text="garbled"), TransientChannelError, None),
    ],
)
async def test_http_failures_are_classified(
    reply: httpx.Response | type[httpx.TransportError],
    error_type: type[ChannelError],
    retry_after: float | None,
) -> None:
    with pytest.raises(error_type) as raised:
        await send(FakeApi(reply))
    assert getattr(raised.value, "retry_after", None) == retry_after
