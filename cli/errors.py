"""The one error every `cartnudge` command raises for a mistake the user can fix."""

from __future__ import annotations


class CommandError(Exception):
    """A mistake the operator or marketer can fix; printed without a traceback."""
