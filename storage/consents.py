"""Consent per customer and channel, as the shop last sent it.

Every cart snapshot (and the consent endpoint) carries the customer's consent; the newest
by the shop's clock wins, whichever cart it came with. The send activity reads it at send
time, so consent withdrawn on another cart stops this cart's messages too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Boolean, String, Table, bindparam, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import dialect_of
from storage.models import ConsentRecord, UtcDateTime
from workflows.payloads import Channel

# The channels a customer consents to; webhooks go to the shop's own systems.
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


_Insert = TypeVar("_Insert", postgresql.Insert, sqlite.Insert)


def consent_upsert(insert: Callable[[Table], _Insert]) -> _Insert:
    """INSERT ... ON CONFLICT of the customer's consent on every channel, unless a newer
    statement is held. Parameters: `consent_params`. Built once: it runs with every cart."""
    table = ConsentRecord.__table__
    assert isinstance(table, Table)
    shop, customer_id = bindparam("shop", type_=String()), bindparam("customer_id", type_=String())
    updated_at = bindparam("updated_at", type_=UtcDateTime())
    # one SELECT per channel, not a multi-row VALUES: SQLAlchemy compiles those anew each time
    rows = union_all(
        *(
            select(
                shop,
                customer_id,
                literal(channel.value, String()),
                bindparam(f"consent_{channel.value}", type_=Boolean()),
                updated_at,
            )
            for channel in CHANNELS
        )
    )
    statement = insert(table).from_select(
        ["shop", "customer_id", "channel", "granted", "updated_at"], rows
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.shop, table.c.customer_id, table.c.channel],
        set_={"granted": statement.excluded.granted, "updated_at": statement.excluded.updated_at},
        where=table.c.updated_at < statement.excluded.updated_at,
    )


def consent_params(
    *, shop: str, customer_id: str, consent: Mapping[str, bool], updated_at: datetime
) -> dict[str, Any]:
    """The parameters of `consent_upsert`."""
    return {
        "shop": shop,
        "customer_id": customer_id,
        "updated_at": updated_at,
        **{f"consent_{channel.value}": consent.get(channel, False) for channel in CHANNELS},
    }


_UPSERTS = {
    "postgresql": consent_upsert(postgresql.insert),
    "sqlite": consent_upsert(sqlite.insert),
}


async def record_consent(
    session: AsyncSession,
    *,
    shop: str,
    customer_id: str,
    consent: Mapping[str, bool],
    updated_at: datetime,
) -> None:
    """Store the consent unless a newer statement is already held. The caller commits."""
    await session.execute(
        _UPSERTS[dialect_of(session)],
        consent_params(shop=shop, customer_id=customer_id, consent=consent, updated_at=updated_at),
    )


async def current_consent(
    session: AsyncSession, *, shop: str, customer_id: str, channel: str
) -> bool | None:
    """The customer's consent on the channel as last stated; None if never stated."""
    granted: bool | None = await session.scalar(
        select(ConsentRecord.granted).where(
            ConsentRecord.shop == shop,
            ConsentRecord.customer_id == customer_id,
            ConsentRecord.channel == channel,
        )
    )
    return granted
