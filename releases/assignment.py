"""Deterministic weighted choice: the same key always lands in the same share.

A key (shop and cart id for a release; shop, customer and experiment later) is hashed to
one of 10,000 buckets, and the buckets are dealt out to the choices in order of their
weights. No randomness and no state: a retried activity, a replayed workflow or another
worker gives the same answer for the same key and weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

BUCKETS = 10_000  # weights are in basis points: 10% is 1000


def bucket(*key: str) -> int:
    """0 .. BUCKETS-1, uniformly spread, from the key's parts."""
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def pick(key: Sequence[str], weighted: Sequence[tuple[T, int]]) -> T:
    """The choice whose share of the buckets holds the key's bucket.

    `weighted` pairs each choice with its weight in basis points; the weights sum to BUCKETS.
    """
    if sum(weight for _, weight in weighted) != BUCKETS:
        raise ValueError(f"weights must sum to {BUCKETS}: {[w for _, w in weighted]}")
    position = bucket(*key)
    for choice, weight in weighted:
        if position < weight:
            return choice
        position -= weight
    raise AssertionError("unreachable: the weights cover every bucket")
