"""What crosses the Temporal boundary of the nightly recommendations refresh.

A leaf like workflows/payloads.py: stdlib and pydantic only, kept in stored histories.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RefreshRequest(_Frozen):
    """The workflow's input: every shop (the schedule), or one (`--shop`).

    `pending` and `as_of` are set only when a long run continues as new with the shops it
    has not reached yet, at the moment the first run started.
    """

    shop: str | None = None
    pending: tuple[str, ...] | None = None
    as_of: datetime | None = None
    done_before: int = 0  # shops refreshed by earlier runs of the chain
    failed_before: tuple[str, ...] = ()  # shops whose refresh failed in earlier runs


class ShopsToRefresh(_Frozen):
    as_of: datetime


class ShopRefresh(_Frozen):
    """One shop, from its orders before `as_of` (the workflow's start: a retry learns the
    same)."""

    shop: str
    as_of: datetime


class ShopRefreshed(_Frozen):
    shop: str
    orders: int  # orders learned from
    products: int  # products with a list of their own
    pairs: int
    popular: int


class RefreshResult(_Frozen):
    as_of: datetime
    shops: tuple[ShopRefreshed, ...]  # this run's
    done_before: int = 0  # shops refreshed by earlier runs of a long chain
    failed: tuple[str, ...] = ()  # shops whose refresh failed for good: they keep their lists
