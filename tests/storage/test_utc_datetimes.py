"""SQLite forgets time zones; storage must hand back the aware UTC moment it was given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from sending.order_check import OrderCheck
from storage.database import create_engine, create_session_factory
from storage.models import Base, Order


async def test_order_times_come_back_aware_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    sessions = create_session_factory(engine)
    istanbul = timezone(timedelta(hours=3))
    async with sessions() as session:
        session.add(
            Order(
                shop="s", order_id="o-1", cart_id="c-1", total=Decimal("10.00"),
                currency="TRY", placed_at=datetime(2026, 11, 22, 13, 0, tzinfo=istanbul),
            )
        )  # fmt: skip
        await session.commit()

    async with sessions() as session:
        stored = await session.scalar(select(Order))
    # the order check the send relies on must not choke on it
    found = await OrderCheck(sessions).recorded(shop="s", cart_id="c-1")
    await engine.dispose()

    assert stored is not None and stored.placed_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert found is not None and found.placed_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
