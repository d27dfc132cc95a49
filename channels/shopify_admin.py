"""Shopify's Admin GraphQL API, as the coupons (coupons/shopify.py) and the catalog
(catalog/shopify.py) both call it: where to POST, how to authenticate, and how to read the
top-level `errors` of an answer. What each asks, and what its errors become, stays theirs.

    POST https://{shop}.myshopify.com/admin/api/{version}/graphql.json
    X-Shopify-Access-Token: <the shop's Admin API token>

`errors` is a list of {message, extensions: {code}} (THROTTLED when the query's cost is
over the bucket; `extensions.cost` then says how fast it refills), or, for an auth
failure, one string: {"errors": "[API] Invalid API key or access token"}.
"""

from __future__ import annotations

import math
from typing import Any


def graphql_url(domain: str, api_version: str) -> str:
    return f"https://{domain}/admin/api/{api_version}/graphql.json"


def auth_headers(token: str) -> dict[str, str]:
    return {"X-Shopify-Access-Token": token, "Accept": "application/json"}


def error_messages(body: dict[str, Any]) -> str:
    """The answer's `errors` in one line: each message, or the string Shopify sent."""
    errors = body.get("errors")
    if isinstance(errors, str):
        return errors
    listed = errors if isinstance(errors, list) else [errors]
    messages = [
        str(error.get("message", error)) if isinstance(error, dict) else str(error)
        for error in listed
        if error is not None
    ]
    return "; ".join(messages) or "no error text"


def throttled(body: dict[str, Any]) -> bool:
    """Whether one of the answer's errors is THROTTLED (the cost bucket is empty)."""
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(error, dict)
        and isinstance(error.get("extensions"), dict)
        and error["extensions"].get("code") == "THROTTLED"
        for error in errors
    )


def throttle_wait(body: dict[str, Any]) -> float | None:
    """Whole seconds until the bucket holds the query's cost again:
    (requestedQueryCost - currentlyAvailable) / restoreRate, at least 1."""
    try:
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    return float(max(1, math.ceil(needed / rate))) if rate > 0 else None
