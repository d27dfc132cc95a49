"""Journey outcomes say which of cartnudge's coupons the order redeemed, and its discount.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("journey_outcomes") as batch:
        batch.add_column(sa.Column("coupon_code", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("discount", sa.Numeric(14, 4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journey_outcomes") as batch:
        batch.drop_column("discount")
        batch.drop_column("coupon_code")
