"""Why a channel could not deliver, as the activity needs to know it.

ChannelError
├── TransientChannelError   try again later (connection refused, timeout, 4xx SMTP reply)
└── PermanentChannelError   retrying can not help (address refused, 5xx SMTP reply)
"""

from __future__ import annotations


class ChannelError(Exception):
    """A provider did not accept a message."""


class TransientChannelError(ChannelError):
    """The provider may accept the same message later."""


class PermanentChannelError(ChannelError):
    """The provider refused the message for good."""
