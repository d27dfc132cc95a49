"""Several shops in one deployment: shops with their integrations, hashed API keys, and
the answers to requests sent with an Idempotency-Key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("shop", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("email_from", sa.String(length=300), nullable=True),
        sa.Column("shopify_domain", sa.String(length=255), nullable=True),
        sa.Column("shopify_secret", sa.String(length=200), nullable=True),
        sa.Column("woocommerce_secret", sa.String(length=200), nullable=True),
        sa.Column("order_lookup_url", sa.String(length=2048), nullable=True),
        sa.Column("order_lookup_token", sa.String(length=500), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("shop", name="pk_shops"),
        sa.UniqueConstraint("shopify_domain", name="uq_shops_shopify_domain"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        _created_at(),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop"], ["shops.shop"], name="fk_api_keys_shop_shops", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("digest", name="uq_api_keys_digest"),
    )
    op.create_index("ix_api_keys_shop", "api_keys", ["shop"])
    op.create_table(
        "idempotent_requests",
        sa.Column("shop", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("shop", "key", name="pk_idempotent_requests"),
    )
    op.create_index(
        "ix_idempotent_requests_created_at", "idempotent_requests", ["created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_idempotent_requests_created_at", table_name="idempotent_requests")
    op.drop_table("idempotent_requests")
    op.drop_index("ix_api_keys_shop", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("shops")
