"""The memory that a dependency (Temporal, the database) just failed: fail fast meanwhile.

While Temporal or PostgreSQL is down, every call to it waits out its own timeout and the
client's retries (Temporal's SDK retries a refused connection for up to 10 s) before the
API can answer 503; the shop's webhook gives up after 5 s, and the waiting requests pile
up connections. So the first failure is remembered: for `fail_fast_seconds` every caller
is refused at once, without calling the dependency. After that window one caller at a time
is let through as a probe; its success ends the outage for everyone, its failure starts a
new window. Nothing is refused that the dependency would have stored: the caller answers
503 with Retry-After, and the shop's retry lands once the dependency is back.

    outage = Outage("temporal", seconds=5)
    outage.admit()        # raises DependencyDown while failing fast
    ... the call ...
    outage.answered()     # or outage.failed(), when the call found it down

One event loop per process: no lock, nothing here awaits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("cartnudge.outages")


class DependencyDown(Exception):
    """Refused without calling: the dependency failed a moment ago (fail fast)."""

    def __init__(self, dependency: str, retry_in: float) -> None:
        super().__init__(f"{dependency} failed a moment ago; not calling it for {retry_in:.1f}s")
        self.dependency = dependency
        self.retry_in = retry_in


class Outage:
    """Whether one dependency failed recently, and who may call it now."""

    def __init__(
        self, dependency: str, *, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.dependency = dependency
        self._seconds = seconds
        self._clock = clock
        self._failed_at: float | None = None  # None: no outage
        self._probe_since: float | None = None  # a caller is finding out, since then

    @property
    def down(self) -> bool:
        """It failed, and nothing has answered since."""
        return self._failed_at is not None

    @property
    def failing_fast(self) -> bool:
        """Callers are refused now without calling (within the window, or a probe is out)."""
        if self._failed_at is None:
            return False
        now = self._clock()
        if now - self._failed_at < self._seconds:
            return True
        # A probe that never reported (its caller was cancelled) frees the way after a window.
        return self._probe_since is not None and now - self._probe_since < self._seconds

    def admit(self) -> None:
        """Return when the caller may call the dependency; raise DependencyDown if not.

        After the window the first caller returns as the probe; the others are refused
        until it reports with `answered` or `failed`.
        """
        if self._failed_at is None:
            return
        if self.failing_fast:
            now = self._clock()
            since = max(self._failed_at, self._probe_since or self._failed_at)
            raise DependencyDown(self.dependency, max(0.0, self._seconds - (now - since)))
        self._probe_since = self._clock()

    def failed(self) -> None:
        """The call found the dependency down: refuse callers for the next window."""
        if self._failed_at is None:
            log.warning(
                "%s is down: failing fast for %ss at a time", self.dependency, self._seconds
            )
        self._failed_at = self._clock()
        self._probe_since = None

    def answered(self) -> None:
        """The dependency answered a call: the outage, if any, is over."""
        if self._failed_at is not None:
            log.warning("%s answers again", self.dependency)
        self._failed_at = None
        self._probe_since = None
