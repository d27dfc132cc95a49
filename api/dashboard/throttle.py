"""Login attempts per email: after `attempts` within `window` that did not succeed, that
email's logins are refused until the oldest of them is `window` old. An attempt counts
from the moment it starts (`attempt`), before the password is checked, so concurrent
guesses can not all slip in under the limit; a success clears the email's count. Counted
the same for emails nobody has, so the refusal tells nothing about who has an account.

In memory, per API process (like api/rate_limit.py): N processes allow N times the
attempts, still few enough to stop guessing. At most `capacity` emails are remembered; past
that the oldest are forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

from storage.dashboard_users import normalized_email


class LoginThrottle:
    def __init__(
        self,
        *,
        attempts: int = 10,
        window: float = 15 * 60,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._capacity = capacity
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, email: str) -> deque[float]:
        failures = self._failures.get(normalized_email(email), deque())
        while failures and failures[0] <= self._clock() - self.window:
            failures.popleft()
        return failures

    def wait(self, email: str) -> float:
        """Seconds until this email may try again; 0 when it may now."""
        failures = self._recent(email)
        if len(failures) < self.attempts:
            return 0.0
        return failures[0] + self.window - self._clock()

    def attempt(self, email: str) -> float:
        """Count an attempt for the email, unless it must wait: the seconds to wait (the
        attempt is refused and not counted), or 0 (counted; go on and check it)."""
        wait = self.wait(email)
        if wait <= 0:
            self.failed(email)
        return wait

    def failed(self, email: str) -> None:
        key = normalized_email(email)
        failures = self._recent(key)
        failures.append(self._clock())
        self._failures[key] = failures
        self._failures.move_to_end(key)
        while len(self._failures) > self._capacity:
            self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        self._failures.pop(normalized_email(email), None)
