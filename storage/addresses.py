"""One spelling per address, so a suppression or a cap finds every message to it."""

from __future__ import annotations


def normalize_address(channel: str, address: str) -> str:
    """Email addresses compare case-insensitively; phone numbers and tokens as given."""
    address = address.strip()
    return address.lower() if channel == "email" else address
