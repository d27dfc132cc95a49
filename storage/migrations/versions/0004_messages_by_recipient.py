"""An index on messages (channel, recipient): an SMS STOP finds the messages to its number
without reading every message ever sent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_recipient", "messages", ["channel", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_messages_recipient", table_name="messages")
