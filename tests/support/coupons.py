"""Coupons cartnudge made, put in the database as the coupon issuing leaves them (the
coupons/ package owns making them; tests of orders, outcomes and reports only need rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Coupon
from tests.support.tables import add_message


async def add_coupon(
    sessions: async_sessionmaker[AsyncSession],
    *,
    code: str,
    workflow_id: str,
    run_id: str,
    shop: str = "demo_shop",
    customer_id: str = "cust-1",
    message_id: str = "r3",
    percent: Decimal | None = Decimal("10"),
    amount: Decimal | None = None,
    currency: str = "TRY",
    state: str = "issued",
    created_at: datetime | None = None,
    sent: bool = False,
    contact_digest: str | None = None,
) -> Coupon:
    """One coupon of the run's send step `message_id`; percent 10 unless `amount` is given;
    made now unless `created_at` says when; `sent` also stores its message as gone out
    (what customer.coupons_sent_30d counts)."""
    now = created_at or datetime.now(UTC)
    row = Coupon(
        key=f"{workflow_id}/{run_id}/{message_id}",
        shop=shop,
        code=code,
        source="pool",
        customer_id=customer_id,
        workflow_id=workflow_id,
        run_id=run_id,
        message_id=message_id,
        percent=None if amount is not None else percent,
        amount=amount,
        currency=currency,
        expires_at=now + timedelta(days=2),
        state=state,
        issued_at=now if state == "issued" else None,
        created_at=now,
        contact_digest=contact_digest,
    )
    async with sessions() as session:
        session.add(row)
        await session.commit()
    if sent:
        await add_message(sessions, run_id=run_id, message_id=message_id, shop=shop, key=row.key)
    return row
