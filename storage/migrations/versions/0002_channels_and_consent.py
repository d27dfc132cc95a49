"""Every channel and the customer's trust: suppressions, consent, caps, registry answers,
provider webhook deduplication; messages record their provider; webhook steps have no template.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if now else None,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        _timestamp("created_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_suppressions"),
        sa.UniqueConstraint(
            "shop", "channel", "address", name="uq_suppressions_shop_channel_address"
        ),
    )
    op.create_table(
        "consents",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        _timestamp("updated_at"),
        _timestamp("received_at", now=True),
        sa.PrimaryKeyConstraint("shop", "customer_id", "channel", name="pk_consents"),
    )
    op.create_table(
        "contact_caps",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("last_key", sa.String(length=600), nullable=False),
        _timestamp("last_sent_at"),
        sa.PrimaryKeyConstraint("shop", "channel", "address", name="pk_contact_caps"),
    )
    op.create_table(
        "registry_answers",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        _timestamp("checked_at"),
        sa.PrimaryKeyConstraint("shop", "channel", "address", name="pk_registry_answers"),
    )
    op.create_table(
        "provider_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        _timestamp("received_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_provider_events"),
        sa.UniqueConstraint("provider", "event_id", name="uq_provider_events_provider_event_id"),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("provider", sa.String(length=30), nullable=True))
        batch.alter_column("template", existing_type=sa.String(length=100), nullable=True)
        batch.create_index("ix_messages_provider_message_id", ["provider_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_provider_message_id")
        batch.alter_column("template", existing_type=sa.String(length=100), nullable=False)
        batch.drop_column("provider")
    op.drop_table("provider_events")
    op.drop_table("registry_answers")
    op.drop_table("contact_caps")
    op.drop_table("consents")
    op.drop_table("suppressions")
