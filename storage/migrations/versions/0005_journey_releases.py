"""Journey releases: published versions frozen by content, their activations (an audit
trail: rows are only added), the shops each journey serves, and the release of every
message and outcome.

A release never changes and is never deleted: triggers refuse UPDATE and DELETE on
journey_releases on both databases, so immutability does not rest on the code alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "journey releases never change: publish the next version instead"


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "journey_releases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        _now("published_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_releases")),
        sa.UniqueConstraint(
            "journey", "version", name=op.f("uq_journey_releases_journey_version")
        ),
    )
    op.create_table(
        "journey_shops",
        sa.Column("shop", sa.String(length=100), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("shop", name=op.f("pk_journey_shops")),
    )
    op.create_index("ix_journey_shops_journey", "journey_shops", ["journey"])
    op.create_table(
        "journey_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(length=100), nullable=False),
        sa.Column("shop", sa.String(length=100), nullable=True),
        sa.Column("split", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("restores_id", sa.Integer(), nullable=True),
        sa.Column("activated_by", sa.String(length=200), nullable=False),
        _now("activated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_activations")),
    )
    op.create_index(
        "ix_activations_journey", "journey_activations", ["journey", "shop", "id"]
    )
    op.add_column("messages", sa.Column("release_id", sa.String(length=64), nullable=True))
    op.add_column(
        "journey_outcomes", sa.Column("release_id", sa.String(length=64), nullable=True)
    )
    op.create_index("ix_journey_outcomes_release_id", "journey_outcomes", ["release_id"])
    _refuse_changes_to_releases()


def _refuse_changes_to_releases() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION journey_releases_are_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_REFUSAL}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            """
            CREATE TRIGGER journey_releases_immutable
            BEFORE UPDATE OR DELETE ON journey_releases
            FOR EACH ROW EXECUTE FUNCTION journey_releases_are_immutable()
            """
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER journey_releases_no_{event.lower()}
                BEFORE {event} ON journey_releases
                BEGIN
                    SELECT RAISE(ABORT, '{_REFUSAL}');
                END
                """
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER journey_releases_immutable ON journey_releases")
        op.execute("DROP FUNCTION journey_releases_are_immutable()")
    op.drop_index("ix_journey_outcomes_release_id", table_name="journey_outcomes")
    op.drop_column("journey_outcomes", "release_id")
    op.drop_column("messages", "release_id")
    op.drop_index("ix_activations_journey", table_name="journey_activations")
    op.drop_table("journey_activations")
    op.drop_index("ix_journey_shops_journey", table_name="journey_shops")
    op.drop_table("journey_shops")
    op.drop_table("journey_releases")
