"""Why a channel could not deliver, as the activity needs to know it.

ChannelError
├── TransientChannelError   try again later: connection refused, timeout, HTTP 5xx, HTTP 429
│                           (`retry_after` seconds when the provider said), SMTP 4xx
└── PermanentChannelError   retrying can not help: invalid address or number, HTTP 4xx,
                            SMTP 5xx
"""

from __future__ import annotations


class ChannelError(Exception):
    """A provider did not accept a message."""


class TransientChannelError(ChannelError):
    """The provider may accept the same message later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentChannelError(ChannelError):
    """The provider refused the message for good."""
