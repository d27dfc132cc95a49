"""Initial schema: carts, orders, messages (the outbox), engagement events, journey outcomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=14, scale=4)


def _timestamp(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if now else None,  # CURRENT_TIMESTAMP on SQLite
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        _timestamp("updated_at"),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        _timestamp("emptied_at", nullable=True),
        _timestamp("received_at", now=True),
        sa.PrimaryKeyConstraint("shop", "cart_id", name="pk_carts"),
    )
    op.create_index("ix_carts_customer_id", "carts", ["customer_id"])

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _timestamp("placed_at", nullable=True),
        _timestamp("received_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("shop", "order_id", name="uq_orders_shop_order_id"),
    )
    op.create_index("ix_orders_cart", "orders", ["shop", "cart_id"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=300), nullable=True),
        _timestamp("created_at", now=True),
        _timestamp("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint(
            "key", name="uq_messages_key"
        ),  # a retried send finds its row instead of sending twice
    )
    op.create_index("ix_messages_cart", "messages", ["shop", "cart_id"])

    op.create_table(
        "engagement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        _timestamp("occurred_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_engagement_events"),
        sa.UniqueConstraint(
            "workflow_id",
            "run_id",
            "message_id",
            "kind",
            name="uq_engagement_events_workflow_id_run_id_message_id_kind",
        ),
    )

    op.create_table(
        "journey_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("revenue", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("messages_sent", sa.Integer(), nullable=False),
        _timestamp("ended_at"),
        sa.PrimaryKeyConstraint("id", name="pk_journey_outcomes"),
        sa.UniqueConstraint("workflow_id", "run_id", name="uq_journey_outcomes_workflow_id_run_id"),
    )
    op.create_index("ix_outcomes_cart", "journey_outcomes", ["shop", "cart_id"])
    op.create_index("ix_outcomes_journey", "journey_outcomes", ["journey", "version"])


def downgrade() -> None:
    op.drop_table("journey_outcomes")  # dropping a table drops its indexes
    op.drop_table("engagement_events")
    op.drop_table("messages")
    op.drop_table("orders")
    op.drop_table("carts")
