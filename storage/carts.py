"""The shop's carts as last sent, and what earlier events say about each one.

Every write is one statement that is safe to repeat (an upsert), so a replayed request or
two requests racing never fail on a unique key and never change a row twice. The
statements run on PostgreSQL and SQLite alike (`INSERT ... ON CONFLICT`), but for
`take_snapshot`'s: on PostgreSQL it is one statement, built once (it runs with every cart
event); on SQLite (`make run`), three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    case,
    exists,
    false,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.consents import consent_params, consent_upsert, record_consent
from storage.inserts import dialect_of, insert
from storage.models import MONEY, Cart, JourneyOutcome, Order, UtcDateTime


@dataclass(frozen=True)
class SnapshotTaken:
    """What `take_snapshot` found and did."""

    bought: bool  # the cart has an order: nothing was stored but the consent
    ended_recently: bool  # see CartHistory
    fresh: bool  # the snapshot was stored: the cart held none newer (False when bought)


async def take_snapshot(
    session: AsyncSession,
    *,
    shop: str,
    cart_id: str,
    customer_id: str,
    consent: Mapping[str, bool],
    updated_at: datetime,
    total: Decimal,
    currency: str,
    snapshot: Mapping[str, Any],
    emptied: bool,
    cooldown: timedelta,
) -> SnapshotTaken:
    """A cart event: the customer's consent recorded (`record_consent`, even for a stale or
    bought cart), the cart's history read (`cart_history`), and, unless bought, the snapshot
    kept (`store_snapshot`). One statement on PostgreSQL, three on SQLite. The caller
    commits, or runs it in autocommit (`storage.database.autocommit`): each of the three
    is an upsert that holds on its own."""
    if dialect_of(session) != "postgresql":
        await record_consent(
            session, shop=shop, customer_id=customer_id, consent=consent, updated_at=updated_at
        )
        history = await cart_history(session, shop=shop, cart_id=cart_id, cooldown=cooldown)
        fresh = not history.bought and await store_snapshot(
            session,
            shop=shop,
            cart_id=cart_id,
            customer_id=customer_id,
            updated_at=updated_at,
            total=total,
            currency=currency,
            snapshot=snapshot,
            emptied=emptied,
        )
        return SnapshotTaken(
            bought=history.bought, ended_recently=history.ended_recently, fresh=fresh
        )
    params = consent_params(
        shop=shop, customer_id=customer_id, consent=consent, updated_at=updated_at
    ) | {
        "cart_id": cart_id,
        "total": total,
        "currency": currency,
        "snapshot": dict(snapshot),
        "emptied_at": updated_at if emptied else None,
        # no cooldown: NULL, and `ended_at > NULL` holds for no outcome
        "ended_after": datetime.now(UTC) - cooldown if cooldown > timedelta(0) else None,
    }
    row = (await session.execute(_TAKE_SNAPSHOT, params)).one()
    return SnapshotTaken(bought=row.bought, ended_recently=row.ended_recently, fresh=row.fresh)


def _take_snapshot_statement() -> Select[bool, bool, bool]:
    """`take_snapshot` on PostgreSQL, as data-modifying CTEs in one statement:

    WITH consent AS (INSERT INTO consents ... ON CONFLICT DO UPDATE ... WHERE newer),
         history AS (SELECT EXISTS (order) AS bought, EXISTS (recent outcome) AS ended_recently),
         stored AS (INSERT INTO carts SELECT :values FROM history WHERE NOT bought
                    ON CONFLICT DO UPDATE ... WHERE not older RETURNING cart_id)
    SELECT bought, ended_recently, EXISTS (SELECT FROM stored) AS fresh FROM history

    The parts share one snapshot of the database; each writes a table the others do not
    read, so none needs to see another's writes.
    """
    carts, orders, outcomes = (_table(model) for model in (Cart, Order, JourneyOutcome))
    shop, cart_id = bindparam("shop", type_=String()), bindparam("cart_id", type_=String())
    updated_at = bindparam("updated_at", type_=UtcDateTime())
    consent = consent_upsert(postgresql.insert).cte("consent")
    history = select(
        exists().where(orders.c.shop == shop, orders.c.cart_id == cart_id).label("bought"),
        exists()
        .where(
            outcomes.c.shop == shop,
            outcomes.c.cart_id == cart_id,
            outcomes.c.messages_sent > 0,
            outcomes.c.ended_at > bindparam("ended_after", type_=UtcDateTime()),
        )
        .label("ended_recently"),
    ).cte("history")
    values: dict[str, BindParameter[Any]] = {
        "shop": shop,
        "cart_id": cart_id,
        "customer_id": bindparam("customer_id", type_=String()),
        "updated_at": updated_at,
        "total": bindparam("total", type_=MONEY),
        "currency": bindparam("currency", type_=String()),
        "snapshot": bindparam("snapshot", type_=JSON()),
        "emptied_at": bindparam("emptied_at", type_=UtcDateTime()),
    }
    statement = postgresql.insert(carts).from_select(
        list(values), select(*values.values()).where(~history.c.bought)
    )
    stored = (
        statement.on_conflict_do_update(
            index_elements=[carts.c.shop, carts.c.cart_id],
            set_={
                **{name: statement.excluded[name] for name in values if name not in _KEY},
                "received_at": _received_at(carts, statement),
            },
            where=carts.c.updated_at <= statement.excluded.updated_at,
        )
        .returning(carts.c.cart_id)
        .cte("stored")
    )
    return select(
        history.c.bought,
        history.c.ended_recently,
        exists(stored.select()).label("fresh"),
    ).add_cte(consent)


async def store_snapshot(
    session: AsyncSession,
    *,
    shop: str,
    cart_id: str,
    customer_id: str,
    updated_at: datetime,
    total: Decimal,
    currency: str,
    snapshot: Mapping[str, Any],
    emptied: bool,
) -> bool:
    """Keep the snapshot (as JSON) unless the cart holds a newer one; False when stale.

    The same `updated_at` again (a shop retrying after our 503) rewrites the same row and
    counts as fresh, so the caller signals it once more. The caller commits.
    """
    values = {
        "customer_id": customer_id,
        "updated_at": updated_at,
        "total": total,
        "currency": currency,
        "snapshot": dict(snapshot),
        "emptied_at": updated_at if emptied else None,
    }
    statement = insert(session, Cart).values(shop=shop, cart_id=cart_id, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=[Cart.shop, Cart.cart_id],
        set_={
            **{name: statement.excluded[name] for name in values},
            "received_at": _received_at(_table(Cart), statement),
        },
        where=Cart.updated_at <= statement.excluded.updated_at,
    ).returning(Cart.cart_id)
    return (await session.execute(upsert)).first() is not None


async def mark_emptied(session: AsyncSession, *, shop: str, cart_id: str, at: datetime) -> None:
    """Note that the shop emptied the cart (no-op for a cart we never saw). The caller commits."""
    await session.execute(
        update(Cart)
        .where(Cart.shop == shop, Cart.cart_id == cart_id, Cart.emptied_at.is_(None))
        .values(emptied_at=at)
    )


@dataclass(frozen=True)
class CartHistory:
    bought: bool  # the shop reported an order for the cart: it never starts a journey again
    # a journey that messaged the cart's customer ended within the cooldown: the cooldown
    # spares them a second series too soon (a cart emptied or refused at entry before any
    # message may start again at once)
    ended_recently: bool


async def cart_history(
    session: AsyncSession, *, shop: str, cart_id: str, cooldown: timedelta
) -> CartHistory:
    """What earlier events say about the cart, in one query (it runs with every snapshot)."""
    bought = exists().where(Order.shop == shop, Order.cart_id == cart_id)
    ended: ColumnElement[bool] = false()
    if cooldown > timedelta(0):
        ended = exists().where(
            JourneyOutcome.shop == shop,
            JourneyOutcome.cart_id == cart_id,
            JourneyOutcome.messages_sent > 0,
            JourneyOutcome.ended_at > datetime.now(UTC) - cooldown,
        )
    row = (await session.execute(select(bought, ended))).one()
    return CartHistory(bought=bool(row[0]), ended_recently=bool(row[1]))


_KEY = frozenset({"shop", "cart_id"})


def _received_at(
    carts: Table, statement: postgresql.Insert | sqlite.Insert
) -> ColumnElement[datetime]:
    # a replay rewrites the same values; only a newer snapshot counts as received
    return case(
        (carts.c.updated_at < statement.excluded.updated_at, func.now()),
        else_=carts.c.received_at,
    )


def _table(model: type[Cart | Order | JourneyOutcome]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_TAKE_SNAPSHOT = _take_snapshot_statement()


async def stored_cart_ids(session: AsyncSession, *, shop: str) -> set[str]:
    """Every cart of the shop we hold (the fault drills compare it with what got a 2xx)."""
    return set(await session.scalars(select(Cart.cart_id).where(Cart.shop == shop)))
