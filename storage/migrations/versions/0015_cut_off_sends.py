"""Sends cut off mid-delivery and how they were settled: when an attempt found its row cut
off (waiting for the provider's events), whether an event settled it, and when it was
reopened for its one resend after the provider stayed silent; and the worker's journal that knows
whether an SMTP hand-over was written (sending/hand_over_journal.py), with the time the row
turned `sending` by that worker's clock.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("cut_off_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("settled_by_event", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("resent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hand_over_journal", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("sending_at")
        batch.drop_column("hand_over_journal")
        batch.drop_column("resent_at")
        batch.drop_column("settled_by_event")
        batch.drop_column("cut_off_at")
