"""Who a coupon went to beyond the customer id (a keyed hash of their email or phone, so a
guest is one person across checkouts), and the indexes `customer.coupons_sent_30d` and
`customer.recovered_carts_90d` read by.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coupons") as batch:
        batch.add_column(sa.Column("contact_digest", sa.String(length=64), nullable=True))
    op.create_index("ix_coupons_contact", "coupons", ["shop", "contact_digest", "issued_at"])
    op.create_index(
        "ix_outcomes_customer", "journey_outcomes", ["shop", "customer_id", "ended_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outcomes_customer", table_name="journey_outcomes")
    op.drop_index("ix_coupons_contact", table_name="coupons")
    with op.batch_alter_table("coupons") as batch:
        batch.drop_column("contact_digest")
