"""Why a shop's catalog gave no usable answer.

CatalogError
├── CatalogUnavailable   it may answer soon: no answer within the timeout, connection
│                        refused or dropped, HTTP 408, 429, 5xx, Shopify's THROTTLED
│                        (`retry_after` seconds when the catalog said)
└── CatalogBroken        someone must fix it: 401, 403, any other status, a redirect, a
                         body that is not in the documented format, GraphQL errors, a
                         source configured without its URL or credentials, an unknown source

Neither is ever read as "out of stock" or "no price": a message goes out with the cart
snapshot's data instead (catalog/lookup.py).
"""

from __future__ import annotations


class CatalogError(Exception):
    """The shop's catalog did not answer as documented."""


class CatalogUnavailable(CatalogError):
    """The catalog may answer if asked again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CatalogBroken(CatalogError):
    """The catalog answers, but not as documented (or is configured wrong): someone must fix it."""
