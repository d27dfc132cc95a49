"""Recommendations: products bought together, popular products, and what to show of them.

Written by the nightly refresh (recommendations/refresh.py), a shop at a time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 4)
LIFT = sa.Numeric(12, 4)


def upgrade() -> None:
    op.create_table(
        "product_pairs",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("recommended_sku", sa.String(length=200), nullable=False),
        sa.Column("lift", LIFT, nullable=False),
        sa.Column("orders_together", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "sku", "rank", name=op.f("pk_product_pairs")),
    )
    op.create_table(
        "popular_products",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "rank", name=op.f("pk_popular_products")),
    )
    op.create_table(
        "recommended_products",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("shop", "sku", name=op.f("pk_recommended_products")),
    )


def downgrade() -> None:
    op.drop_table("recommended_products")
    op.drop_table("popular_products")
    op.drop_table("product_pairs")
