"""Coupons made per customer and step, the shops' code pools, the codes orders used, and
order lines (what recommendations learn from).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 4)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("percent", sa.Numeric(5, 2), nullable=True),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _when("expires_at"),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("platform_ref", sa.String(length=300), nullable=True),
        sa.Column("failure", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _when("issued_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("key", name=op.f("uq_coupons_key")),
        sa.UniqueConstraint("shop", "code", name=op.f("uq_coupons_shop_code")),
    )
    op.create_index("ix_coupons_customer", "coupons", ["shop", "customer_id", "created_at"])
    op.create_table(
        "coupon_pool",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("claimed_by", sa.String(length=300), nullable=True),
        _when("claimed_at", nullable=True),
        sa.PrimaryKeyConstraint("shop", "code", name=op.f("pk_coupon_pool")),
        sa.UniqueConstraint("claimed_by", name=op.f("uq_coupon_pool_claimed_by")),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _when("redeemed_at"),
        sa.PrimaryKeyConstraint("shop", "order_id", "code", name=op.f("pk_coupon_redemptions")),
    )
    op.create_table(
        "order_lines",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _when("placed_at"),
        sa.PrimaryKeyConstraint("shop", "order_id", "line", name=op.f("pk_order_lines")),
    )
    op.create_index("ix_order_lines_shop_time", "order_lines", ["shop", "placed_at"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_shop_time", table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_pool")
    op.drop_index("ix_coupons_customer", table_name="coupons")
    op.drop_table("coupons")
