"""Shops' webhook secrets and order lookup token as Text: they are stored encrypted now,
a third longer and more than their old lengths allowed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDENED = (
    ("shopify_secret", 200),
    ("woocommerce_secret", 200),
    ("order_lookup_token", 500),
)


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        for name, length in WIDENED:
            batch.alter_column(name, existing_type=sa.String(length=length), type_=sa.Text())


def downgrade() -> None:
    # Encrypted values may be longer than the old lengths: decrypt-free downgrade is only
    # safe on a database whose secrets fit (e.g. never encrypted).
    with op.batch_alter_table("shops") as batch:
        for name, length in WIDENED:
            batch.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=length))
