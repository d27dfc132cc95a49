"""What `make run` gives the demo shop so `make demo` shows offers and recommendations: a
pool of unique codes to hand out (its coupon source) and a small order history to learn
"bought together" from. Made once: later runs top the pool up and keep the history.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from data_at_rest.cipher import DataCipher
from storage import coupons, order_lines, shops
from storage.database import create_engine, create_session_factory
from storage.order_lines import NewLine

POOL_SIZE = 50  # codes kept free: a demo hands out one per customer who gets the offer

# The demo's products (devstack/demo.py sells the first five) and what goes with them.
SHOES = NewLine("SKU-1", "Koşu Ayakkabısı", 1, Decimal("1299.90"))
SOCKS = NewLine("SKU-2", "Spor Çorap", 3, Decimal("89.50"))
JACKET = NewLine("SKU-3", "Trail running jacket", 1, Decimal("149.00"))
TENT = NewLine("SKU-4", "Kamp Çadırı", 1, Decimal("4250.00"))
LAMP = NewLine("SKU-5", "Kamp Feneri", 2, Decimal("349.00"))
TIGHTS = NewLine("SKU-6", "Koşu Taytı", 1, Decimal("449.90"))
BOTTLE = NewLine("SKU-7", "Su Şişesi", 1, Decimal("119.90"))
SLEEPING_BAG = NewLine("SKU-8", "Uyku Tulumu", 1, Decimal("1890.00"))
# (how many orders, what each held): runners buy tights and bottles with their shoes,
# campers a sleeping bag and a lamp with their tent.
HISTORY = [
    (6, [SHOES, SOCKS, TIGHTS]),
    (4, [SHOES, TIGHTS]),
    (3, [JACKET, TIGHTS, BOTTLE]),
    (5, [TENT, SLEEPING_BAG, LAMP]),
    (3, [LAMP, SLEEPING_BAG]),
    (8, [BOTTLE]),
]


async def demo_offers_and_history(database_url: str, shop: str, *, cipher: DataCipher) -> str:
    """The shop takes codes from its pool, kept at POOL_SIZE free codes, and has an order
    history; what was done, for the banner."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await shops.update_shop(
                session, shop=shop, changes={"coupon_source": "pool"}, cipher=cipher
            )
            free, _ = await coupons.pool_counts(session, shop=shop)
            if free < POOL_SIZE:
                codes = [f"DEMO10-{secrets.token_hex(3).upper()}" for _ in range(POOL_SIZE - free)]
                await coupons.import_pool_codes(session, shop=shop, codes=codes)
            orders = await _history(session, shop)
            await session.commit()
    finally:
        await engine.dispose()
    return f"{max(free, POOL_SIZE)} free codes in its pool, {orders} past orders"


async def _history(session: AsyncSession, shop: str) -> int:
    """The past orders, stored unless held already (the same ids every run)."""
    placed = datetime.now(UTC) - timedelta(days=7)
    number = 0
    for count, lines in HISTORY:
        for _ in range(count):
            number += 1
            await order_lines.add_order_lines(
                session,
                shop=shop,
                order_id=f"demo-history-{number}",
                currency="TRY",
                placed_at=placed,
                lines=lines,
            )
    return number
