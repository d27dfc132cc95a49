"""Indexes for the journey report (storage/reports.py): a cart's messages by its run, a
journey's entries by time of abandonment, and a message's events with what the report
reads of them, so a dashboard page reads the carts it shows and not every message and
entry ever stored (devstack/bench_reports.py measures them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX holds writes to the table while it builds (`messages` is the
    # outbox, `engagement_events` takes every open and click). A large deployment creates
    # these first with CREATE INDEX CONCURRENTLY (CHANGELOG, 0.2); `if_not_exists` then
    # skips them here.
    op.create_index("ix_messages_run", "messages", ["workflow_id", "run_id"], if_not_exists=True)
    op.create_index(
        "ix_entries_journey_time", "journey_entries", ["journey", "abandoned_at"], if_not_exists=True
    )
    # What became of a message, read from the index alone (an index-only scan on
    # PostgreSQL): the unique key's columns do not hold `machine` and `occurred_at`.
    op.create_index(
        "ix_events_message",
        "engagement_events",
        ["workflow_id", "run_id", "message_id"],
        postgresql_include=["kind", "machine", "occurred_at"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_events_message", table_name="engagement_events")
    op.drop_index("ix_entries_journey_time", table_name="journey_entries")
    op.drop_index("ix_messages_run", table_name="messages")
