"""The `idempotent_requests` table: one row per shop and Idempotency-Key.

A row is a *claim* while `status_code` is NULL (the first request is running) and an
*answer* once it is set. Each claim is told apart by its `created_at`, written by the
claimer: recording or releasing only touches the row when that stamp still matches, so a
request whose stale claim was taken over can not overwrite the newer request's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import IdempotentRequest


@dataclass(frozen=True)
class Fingerprint:
    """What makes two requests "the same": method, target (path and query), body digest."""

    method: str
    path: str
    body_digest: str


@dataclass(frozen=True)
class StoredRequest:
    fingerprint: Fingerprint
    status_code: int | None  # None: still in progress
    response_body: str | None
    created_at: datetime


async def claim(
    session: AsyncSession,
    *,
    shop: str,
    key: str,
    fingerprint: Fingerprint,
    now: datetime,
    expired_before: datetime,
    stale_before: datetime,
) -> bool:
    """Claim the key for this request (the caller commits); False when another holds it.

    One statement: a new key is inserted; an expired answer, or a claim left in progress
    since before `stale_before` (its request died), is replaced; anything else is kept.
    """
    row = IdempotentRequest.__table__.c
    values = insert(session, IdempotentRequest).values(
        shop=shop,
        key=key,
        method=fingerprint.method,
        path=fingerprint.path,
        body_digest=fingerprint.body_digest,
        status_code=None,
        response_body=None,
        created_at=now,
    )
    statement = values.on_conflict_do_update(
        index_elements=[row.shop, row.key],
        set_={
            "method": values.excluded.method,
            "path": values.excluded.path,
            "body_digest": values.excluded.body_digest,
            "status_code": None,
            "response_body": None,
            "created_at": values.excluded.created_at,
        },
        where=or_(
            row.created_at < expired_before,
            and_(row.status_code.is_(None), row.created_at < stale_before),
        ),
    ).returning(row.key)  # rowcount is unreliable for ON CONFLICT: RETURNING says it
    return (await session.execute(statement)).first() is not None


async def find(session: AsyncSession, *, shop: str, key: str) -> StoredRequest | None:
    row = await session.get(IdempotentRequest, (shop, key), populate_existing=True)
    if row is None:
        return None
    return StoredRequest(
        fingerprint=Fingerprint(method=row.method, path=row.path, body_digest=row.body_digest),
        status_code=row.status_code,
        response_body=row.response_body,
        created_at=row.created_at,
    )


async def record_answer(
    session: AsyncSession,
    *,
    shop: str,
    key: str,
    claimed_at: datetime,
    status_code: int,
    response_body: str,
) -> bool:
    """Store the answer of the claim made at `claimed_at`; False when it is no longer ours."""
    result = await session.execute(
        update(IdempotentRequest)
        .where(_ours(shop, key, claimed_at))
        .values(status_code=status_code, response_body=response_body)
        .returning(IdempotentRequest.key)
    )
    return result.first() is not None


async def release(session: AsyncSession, *, shop: str, key: str, claimed_at: datetime) -> None:
    """Drop the claim made at `claimed_at`, so that a retry with the key runs again."""
    await session.execute(delete(IdempotentRequest).where(_ours(shop, key, claimed_at)))


async def purge_expired(session: AsyncSession, *, before: datetime) -> int:
    """Delete the rows claimed before `before`; how many went."""
    result = await session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.created_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # a plain DELETE counts right


def _ours(shop: str, key: str, claimed_at: datetime) -> ColumnElement[bool]:
    """The claim made at `claimed_at`, still unanswered (not taken over, not answered)."""
    return and_(
        IdempotentRequest.shop == shop,
        IdempotentRequest.key == key,
        IdempotentRequest.created_at == claimed_at,
        IdempotentRequest.status_code.is_(None),
    )
