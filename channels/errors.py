"""Why a channel could not deliver, as the activity needs to know it.

ChannelError
├── TransientChannelError   try again later: connection refused, timeout, HTTP 5xx, HTTP 429
│                           (`retry_after` seconds when the provider said), SMTP 4xx;
│                           `maybe_delivered` when the request may have reached the provider
│                           (the answer was lost, or a gateway error came back)
└── PermanentChannelError   retrying can not help: invalid address or number, HTTP 4xx,
                            SMTP 5xx
"""

from __future__ import annotations


class ChannelError(Exception):
    """A provider did not accept a message."""


class TransientChannelError(ChannelError):
    """The provider may accept the same message later."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, maybe_delivered: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class PermanentChannelError(ChannelError):
    """The provider refused the message for good."""
