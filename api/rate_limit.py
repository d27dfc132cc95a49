"""A token bucket per API key: `rate_limit_burst` requests at once, then
`rate_limit_per_second` sustained; above it, 429 with Retry-After.

The buckets live in memory, one set per API process: N processes behind a load balancer
allow N times the rate. That is enough to stop one shop's runaway loop from crowding out
the others, which is what the limit is for; an exact limit across processes would need a
shared store on every request. Authentication checks the limit (api.deps), so only valid
keys get a bucket and an unknown key still gets 401.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, status

from settings import Settings


@dataclass
class _Bucket:
    tokens: float
    filled_at: float


class RateLimiter:
    """Token buckets by key; `clock` is monotonic seconds (tests pass their own)."""

    def __init__(
        self,
        *,
        per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst)

    def wait(self, key: str) -> float:
        """Take a token for `key`: 0 when there was one, else the seconds until there is."""
        if self.per_second <= 0:  # switched off
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self.burst, filled_at=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.filled_at) * self.per_second)
        bucket.filled_at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def check(self, key: str) -> None:
        """Raise 429, with Retry-After in whole seconds (at least 1), when `key` is over."""
        wait = self.wait(key)
        if wait > 0:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"rate limit: at most {self.per_second:g} requests per second per API key"
                f" (bursts of {self.burst}; CARTNUDGE_RATE_LIMIT_PER_SECOND,"
                " CARTNUDGE_RATE_LIMIT_BURST); retry after Retry-After seconds",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
