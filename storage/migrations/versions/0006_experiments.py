"""Experiments and reports: journey entries (the unit reports count), experiment
assignments and decisions, holdout and arms on outcomes and messages, machine opens, and
the dashboard's users.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "journey_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("shop", sa.String(length=200), nullable=False),
        sa.Column("cart_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("held_out", sa.Boolean(), nullable=False),
        _when("abandoned_at"),
        _when("window_ends_at"),
        sa.Column("cart_total", sa.Numeric(14, 4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_entries")),
        sa.UniqueConstraint(
            "workflow_id", "run_id", name=op.f("uq_journey_entries_workflow_id_run_id")
        ),
    )
    op.create_index("ix_entries_journey", "journey_entries", ["journey", "shop", "abandoned_at"])
    op.create_index("ix_entries_release", "journey_entries", ["release_id", "held_out"])
    op.create_index("ix_entries_cart", "journey_entries", ["shop", "cart_id"])
    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("experiment", sa.String(length=100), nullable=False),
        sa.Column("arm", sa.String(length=50), nullable=False),
        sa.Column("after_decision", sa.Boolean(), nullable=False),
        _when("assigned_at"),
        _when("reached_at", nullable=True),
        sa.Column("arm_taken", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint(
            "workflow_id",
            "run_id",
            "experiment",
            name=op.f("uq_experiment_assignments_workflow_id_run_id_experiment"),
        ),
    )
    op.create_index(
        "ix_assignments_experiment",
        "experiment_assignments",
        ["release_id", "experiment", "arm"],
    )
    op.create_table(
        "experiment_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("release_id", sa.String(length=64), nullable=False),
        sa.Column("experiment", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("arm", sa.String(length=50), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column(
            "decided_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_decisions")),
        sa.UniqueConstraint(
            "release_id",
            "experiment",
            name=op.f("uq_experiment_decisions_release_id_experiment"),
        ),
    )
    op.create_table(
        "dashboard_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        _when("disabled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
        sa.UniqueConstraint("email", name=op.f("uq_dashboard_users_email")),
    )
    op.create_table(
        "dashboard_user_shops",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["dashboard_users.id"],
            name=op.f("fk_dashboard_user_shops_user_id_dashboard_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop"],
            ["shops.shop"],
            name=op.f("fk_dashboard_user_shops_shop_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "shop", name=op.f("pk_dashboard_user_shops")),
    )
    op.add_column("messages", sa.Column("arms", sa.JSON(), nullable=True))
    op.add_column(
        "engagement_events",
        sa.Column("machine", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "journey_outcomes",
        sa.Column("held_out", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("journey_outcomes", sa.Column("arms", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("journey_outcomes", "arms")
    op.drop_column("journey_outcomes", "held_out")
    op.drop_column("engagement_events", "machine")
    op.drop_column("messages", "arms")
    op.drop_table("dashboard_user_shops")
    op.drop_table("dashboard_users")
    op.drop_table("experiment_decisions")
    op.drop_index("ix_assignments_experiment", table_name="experiment_assignments")
    op.drop_table("experiment_assignments")
    op.drop_index("ix_entries_cart", table_name="journey_entries")
    op.drop_index("ix_entries_release", table_name="journey_entries")
    op.drop_index("ix_entries_journey", table_name="journey_entries")
    op.drop_table("journey_entries")
