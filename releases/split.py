"""What an activation holds: one release, or a weighted split between releases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from releases.assignment import BUCKETS


@dataclass(frozen=True)
class Share:
    release_id: str
    version: int
    weight: int  # basis points of new carts: 10000 is all of them


Split = tuple[Share, ...]


def whole(release_id: str, version: int) -> Split:
    return (Share(release_id, version, BUCKETS),)


def with_share(current: Split, release_id: str, version: int, weight: int) -> Split:
    """`release_id` at `weight`; the other releases of `current` share the rest as before.

    Activating v4 at 10% over v3 at 100% gives v4 10% and v3 90%; over a split of v3 80%
    and v2 20% it gives v4 10%, v3 72% and v2 18%. Without a current activation the
    release gets all carts whatever the share asked.
    """
    others = [share for share in current if share.release_id != release_id]
    rest = BUCKETS - weight
    total = sum(share.weight for share in others)
    if not others or total == 0 or rest == 0:
        return whole(release_id, version)
    scaled = [Share(s.release_id, s.version, s.weight * rest // total) for s in others]
    # Rounding leftovers go to the largest remaining share, so the weights sum exactly.
    leftover = rest - sum(share.weight for share in scaled)
    largest = max(range(len(scaled)), key=lambda i: scaled[i].weight)
    biggest = scaled[largest]
    scaled[largest] = Share(biggest.release_id, biggest.version, biggest.weight + leftover)
    return (Share(release_id, version, weight), *(s for s in scaled if s.weight > 0))


def describe(split: Split) -> str:
    """'v4 10%, v3 90%': how people read a split."""
    if not split:
        return "the deployment-wide activation"  # a shop's own activation, rolled back
    return ", ".join(f"v{share.version} {_percent(share.weight)}" for share in split)


def _percent(weight: int) -> str:
    value = weight / (BUCKETS / 100)
    return f"{value:g}%"


def to_rows(split: Split) -> list[dict[str, Any]]:
    return [{"release_id": s.release_id, "version": s.version, "weight": s.weight} for s in split]


def from_rows(rows: list[dict[str, Any]]) -> Split:
    return tuple(Share(row["release_id"], int(row["version"]), int(row["weight"])) for row in rows)
