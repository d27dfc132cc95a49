"""What the API reads and writes in the database for the shop's events and the tracking links.

Every write is one statement that is safe to repeat (an upsert or insert-if-absent), so a
replayed request or two requests racing never fail on a unique key and never change a row
twice. The statements run on PostgreSQL and SQLite alike (`INSERT ... ON CONFLICT`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import OrderIn
from storage.models import Base, Cart, EngagementEvent, JourneyOutcome, Order
from tracking.tokens import TrackingPayload
from workflows.types import CartSnapshot, EngagementKind, Outcome

PURCHASE_OUTCOMES = (Outcome.RECOVERED.value, Outcome.PURCHASED.value)


class SnapshotWrite(StrEnum):
    STORED = "stored"  # newer than what we held (or the first): the row now holds it
    REPLAYED = "replayed"  # the same updated_at as the row: nothing changed
    STALE = "stale"  # older than the row: ignored


def utc(moment: datetime) -> datetime:
    """The moment in UTC; SQLite hands back naive datetimes that were stored as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _insert(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"cartnudge runs on PostgreSQL or SQLite, not {dialect}")


async def store_snapshot(
    session: AsyncSession, *, cart_id: str, snapshot: CartSnapshot
) -> SnapshotWrite:
    """Keep the snapshot if it is newer than the one held for the cart."""
    # Stored in UTC so that SQLite, which compares the text, orders them correctly too.
    updated_at = utc(snapshot.updated_at)
    insert = _insert(session, Cart).values(
        shop=snapshot.shop,
        cart_id=cart_id,
        customer_id=snapshot.customer.id,
        updated_at=updated_at,
        total=snapshot.total,
        currency=snapshot.currency,
        snapshot=snapshot.model_dump(mode="json"),
        emptied_at=updated_at if snapshot.is_empty else None,
    )
    replaced = ("customer_id", "updated_at", "total", "currency", "snapshot", "emptied_at")
    upsert = insert.on_conflict_do_update(
        index_elements=[Cart.shop, Cart.cart_id],
        set_={**{name: insert.excluded[name] for name in replaced}, "received_at": func.now()},
        where=Cart.updated_at < insert.excluded.updated_at,
    ).returning(Cart.cart_id)
    if (await session.execute(upsert)).first() is not None:
        return SnapshotWrite.STORED
    held = await session.scalar(
        select(Cart.updated_at).where(Cart.shop == snapshot.shop, Cart.cart_id == cart_id)
    )
    assert held is not None  # the conflict that skipped the write was with this row
    return SnapshotWrite.STALE if utc(held) > updated_at else SnapshotWrite.REPLAYED


async def mark_emptied(session: AsyncSession, *, shop: str, cart_id: str, at: datetime) -> None:
    """Note that the shop emptied the cart (no-op for a cart we never saw)."""
    await session.execute(
        update(Cart)
        .where(Cart.shop == shop, Cart.cart_id == cart_id, Cart.emptied_at.is_(None))
        .values(emptied_at=utc(at))
    )


async def has_purchase(session: AsyncSession, *, shop: str, cart_id: str) -> bool:
    """Whether the cart was bought: an order for it, or a journey that ended in a purchase."""
    order = exists().where(Order.shop == shop, Order.cart_id == cart_id)
    bought = exists().where(
        JourneyOutcome.shop == shop,
        JourneyOutcome.cart_id == cart_id,
        JourneyOutcome.outcome.in_(PURCHASE_OUTCOMES),
    )
    return bool(await session.scalar(select(or_(order, bought))))


async def ended_recently(
    session: AsyncSession, *, shop: str, cart_id: str, within: timedelta
) -> bool:
    """Whether a journey that messaged this cart's customer ended less than `within` ago.

    The cooldown spares the customer a second series too soon; a cart that was emptied or
    refused at entry before any message may start again at once.
    """
    if within <= timedelta(0):
        return False
    last = await session.scalar(
        select(func.max(JourneyOutcome.ended_at)).where(
            JourneyOutcome.shop == shop,
            JourneyOutcome.cart_id == cart_id,
            JourneyOutcome.messages_sent > 0,
        )
    )
    return last is not None and utc(last) > datetime.now(UTC) - within


async def record_order(session: AsyncSession, order: OrderIn) -> tuple[Order, bool]:
    """The stored order for (shop, order_id), and whether this call created it."""
    insert = (
        _insert(session, Order)
        .values(
            shop=order.shop,
            order_id=order.order_id,
            cart_id=order.cart_id,
            total=order.total,
            currency=order.currency,
            placed_at=utc(order.placed_at) if order.placed_at else None,
        )
        .on_conflict_do_nothing(index_elements=[Order.shop, Order.order_id])
        .returning(Order.id)
    )
    created = (await session.execute(insert)).first() is not None
    stored = await session.scalar(
        select(Order).where(Order.shop == order.shop, Order.order_id == order.order_id)
    )
    assert stored is not None
    return stored, created


async def record_engagement(
    session: AsyncSession, payload: TrackingPayload, kind: EngagementKind
) -> bool:
    """Record the first open or click of a message; False when one was already recorded."""
    insert = (
        _insert(session, EngagementEvent)
        .values(
            shop=payload.shop,
            cart_id=payload.cart_id,
            workflow_id=payload.workflow_id,
            run_id=payload.run_id,
            message_id=payload.message_id,
            kind=kind.value,
            url=payload.url,
        )
        .on_conflict_do_nothing(
            index_elements=[
                EngagementEvent.workflow_id,
                EngagementEvent.run_id,
                EngagementEvent.message_id,
                EngagementEvent.kind,
            ]
        )
        .returning(EngagementEvent.id)
    )
    return (await session.execute(insert)).first() is not None


async def forget_engagement(
    session: AsyncSession, payload: TrackingPayload, kind: EngagementKind
) -> None:
    """Undo `record_engagement`, so the next open or click tries to signal again."""
    await session.execute(
        delete(EngagementEvent).where(
            EngagementEvent.workflow_id == payload.workflow_id,
            EngagementEvent.run_id == payload.run_id,
            EngagementEvent.message_id == payload.message_id,
            EngagementEvent.kind == kind.value,
        )
    )
