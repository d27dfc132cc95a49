"""Failures every HTTP provider must classify alike: retried, and after Retry-After if given.

A provider's own refusals (a bad key, a full queue, an unknown address) are tested in its
own file; here each sender is checked to route the common failures through
channels.http_errors, so a 500 or a timeout never fails a message for good.
"""

from __future__ import annotations

import httpx
import pytest

from channels.errors import TransientChannelError
from tests.channels import FakeApi, Reply
from tests.channels.senders import HTTP_SENDERS

COMMON_FAILURES: list[tuple[str, Reply, float | None]] = [
    ("HTTP 500", httpx.Response(500, text="oops"), None),
    ("HTTP 429 with Retry-After", httpx.Response(429, headers={"Retry-After": "7"}), 7),
    ("HTTP 503 with Retry-After", httpx.Response(503, headers={"Retry-After": "30"}), 30),
    ("read timeout", httpx.ReadTimeout, None),
    ("connect timeout", httpx.ConnectTimeout, None),
]


@pytest.mark.parametrize("provider", sorted(HTTP_SENDERS))
@pytest.mark.parametrize(
    ("reply", "retry_after"),
    [(reply, retry_after) for _, reply, retry_after in COMMON_FAILURES],
    ids=[name for name, _, _ in COMMON_FAILURES],
)
async def test_a_passing_failure_is_retried_not_final(
    provider: str, reply: Reply, retry_after: float | None
) -> None:
    with pytest.raises(TransientChannelError) as raised:
        await HTTP_SENDERS[provider](FakeApi(reply))
    assert raised.value.retry_after == retry_after
