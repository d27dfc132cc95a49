"""Shops' integrations for offers and live content: where coupon codes and the current
catalog come from, and the platform credentials both use.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("coupon_source", sa.String(length=20)),
    ("catalog_source", sa.String(length=20)),
    ("shopify_admin_token", sa.Text()),
    ("woocommerce_url", sa.String(length=2048)),
    ("woocommerce_consumer_key", sa.Text()),
    ("woocommerce_consumer_secret", sa.Text()),
    ("catalog_url", sa.String(length=2048)),
    ("catalog_token", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
