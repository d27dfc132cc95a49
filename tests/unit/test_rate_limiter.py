"""The token bucket: a burst at once, then the rate; each key its own bucket."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from api.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_request_per_refilled_token() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=10, burst=3, clock=clock)

    assert [limiter.wait("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.wait("k") == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.wait("k") == 0
    assert limiter.wait("k") > 0


def test_an_idle_key_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=10, burst=3, clock=clock)
    for _ in range(3):
        limiter.wait("k")

    clock.now += 3600

    assert [limiter.wait("k") for _ in range(4)][-1] > 0  # 3 tokens, not 36000


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(per_second=1, burst=1, clock=Clock())

    assert (limiter.wait("a"), limiter.wait("b")) == (0, 0)
    assert limiter.wait("a") > 0


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=4, burst=1, clock=clock)
    limiter.check("k")

    with pytest.raises(HTTPException) as refused:
        limiter.check("k")  # the next token is 0.25 s away

    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "1"}
    assert "at most 4 requests per second per API key (bursts of 1;" in refused.value.detail


def test_a_rate_of_zero_switches_the_limit_off() -> None:
    limiter = RateLimiter(per_second=0, burst=1, clock=Clock())

    assert all(limiter.wait("k") == 0 for _ in range(1000))
