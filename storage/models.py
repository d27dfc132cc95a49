"""cartnudge's tables (SQLAlchemy 2). Alembic migrations in storage/migrations follow these."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MONEY = Numeric(14, 4)


# Named constraints, so later migrations can drop or alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on every database.

    SQLite has no time zones: it stores text and hands back naive datetimes. Storing UTC
    keeps its text comparison in time order, and reading them back as UTC keeps them aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: cartnudge stores aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}


class Cart(Base):
    """The latest snapshot the shop sent for a cart."""

    __tablename__ = "carts"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    cart_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    updated_at: Mapped[datetime]  # the shop's clock: orders snapshots
    total: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    emptied_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Order(Base):
    """A completed order the shop told us about; its cart never gets another reminder."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop", "order_id"),
        Index("ix_orders_cart", "shop", "cart_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[str] = mapped_column(String(200))
    cart_id: Mapped[str] = mapped_column(String(200))
    total: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Message(Base):
    """The outbox: one row per journey step, written before the provider is called."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_cart", "shop", "cart_id"),
        # an SMS reply (STOP) finds the messages sent to its number
        Index("ix_messages_recipient", "channel", "recipient"),
        # the report finds the messages of the carts it counts
        Index("ix_messages_run", "workflow_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # workflow id + run id + step path: a retried activity finds its row instead of resending
    key: Mapped[str] = mapped_column(String(600), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    shop: Mapped[str] = mapped_column(String(200))
    cart_id: Mapped[str] = mapped_column(String(200))
    journey: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    release_id: Mapped[str | None] = mapped_column(String(64))  # None: sent before releases
    step: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str | None] = mapped_column(String(100))  # None for webhooks
    recipient: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # storage.outbox.OutboxState
    reason: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(30))  # "smtp", "twilio"...
    provider_message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
    arms: Mapped[dict[str, str] | None] = mapped_column(JSON)  # experiment -> arm
    # A send cut off mid-delivery (storage/outbox.py): when an attempt found it so, waiting
    # for the provider's events; whether one settled it as sent; when it was reopened for
    # its one resend because the provider stayed silent.
    cut_off_at: Mapped[datetime | None]
    settled_by_event: Mapped[bool] = mapped_column(default=False, server_default=false())
    resent_at: Mapped[datetime | None]
    # the worker journal that knows whether the hand-over was written (two-phase senders)
    hand_over_journal: Mapped[str | None] = mapped_column(String(32))
    sending_at: Mapped[datetime | None]  # by the clock of the worker whose journal it names


class EngagementEvent(Base):
    """Opens, clicks and the like; the first of each kind per message is kept."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        UniqueConstraint("workflow_id", "run_id", "message_id", "kind"),
        # the report reads what became of a message from this index alone (PostgreSQL)
        Index(
            "ix_events_message",
            "workflow_id",
            "run_id",
            "message_id",
            postgresql_include=["kind", "machine", "occurred_at"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(String(200))
    cart_id: Mapped[str] = mapped_column(String(200))
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # EngagementKind
    url: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # an open the provider says a machine made (Apple Mail Privacy Protection prefetch)
    machine: Mapped[bool] = mapped_column(default=False, server_default=false())


class JourneyOutcome(Base):
    """How one cart's journey (one workflow run) ended, for reporting."""

    __tablename__ = "journey_outcomes"
    __table_args__ = (
        UniqueConstraint("workflow_id", "run_id"),
        Index("ix_outcomes_cart", "shop", "cart_id"),
        Index("ix_outcomes_journey", "journey", "version"),
        # customer.recovered_carts_90d
        Index("ix_outcomes_customer", "shop", "customer_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    shop: Mapped[str] = mapped_column(String(200))
    cart_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(200))
    journey: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int | None]
    release_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # Outcome
    order_id: Mapped[str | None] = mapped_column(String(200))
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    messages_sent: Mapped[int]
    ended_at: Mapped[datetime]
    held_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    arms: Mapped[dict[str, str] | None] = mapped_column(JSON)  # experiment -> arm
    # The coupon of cartnudge's the order used (storage/coupon_redemptions.py), and what
    # it took off, in `currency`; None without one, or when the order did not say.
    coupon_code: Mapped[str | None] = mapped_column(String(100))
    discount: Mapped[Decimal | None] = mapped_column(MONEY)


class Suppression(Base):
    """An address the shop must not message on a channel: unsubscribed, complained, bounced."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("shop", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254))  # lower-cased email, E.164 phone
    reason: Mapped[str] = mapped_column(String(20))  # EngagementKind: unsubscribed, bounced...
    source: Mapped[str] = mapped_column(String(50))  # "link", "sendgrid", "twilio-stop"...
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ConsentRecord(Base):
    """The customer's consent per channel, as the shop last sent it (newest wins)."""

    __tablename__ = "consents"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted: Mapped[bool]
    updated_at: Mapped[datetime]  # the shop's clock, from the snapshot that said so
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ContactCap(Base):
    """The last message on a channel to an address, across all carts: frequency caps."""

    __tablename__ = "contact_caps"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    last_key: Mapped[str] = mapped_column(String(600))  # outbox key holding the slot
    last_sent_at: Mapped[datetime]


class RegistryAnswer(Base):
    """A consent registry's (İYS) last answer for an address, cached for a while."""

    __tablename__ = "registry_answers"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    allowed: Mapped[bool]
    checked_at: Mapped[datetime]


class ShortLink(Base):
    """What an SMS or push short link `/t/s/<id>` stands for: a signed click token."""

    __tablename__ = "short_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # tracking/short_links.py
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProviderEvent(Base):
    """Provider webhook events already handled: a redelivered event changes nothing."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Shop(Base):
    """A shop served by this deployment: its defaults, sender identity and integrations."""

    __tablename__ = "shops"

    shop: Mapped[str] = mapped_column(String(100), primary_key=True)  # contract.fields.ShopId
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))  # IANA; quiet hours fall back to it
    locale: Mapped[str] = mapped_column(String(20))  # customers without a locale get it
    currency: Mapped[str] = mapped_column(String(3))
    email_from: Mapped[str | None] = mapped_column(String(300))  # "Name <addr>"; else mail_from
    # Every secret column is stored encrypted (storage.shops.SECRET_COLUMNS), hence Text.
    # Shopify: the shop's myshopify.com domain and the app's webhook signing secret.
    shopify_domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    shopify_secret: Mapped[str | None] = mapped_column(Text)
    woocommerce_secret: Mapped[str | None] = mapped_column(Text)
    # The shop's own order lookup, asked before a send when we hold no order for the cart.
    order_lookup_url: Mapped[str | None] = mapped_column(String(2048))
    order_lookup_token: Mapped[str | None] = mapped_column(Text)
    # Where unique coupon codes come from: "shopify" (Admin GraphQL), "woocommerce" (REST
    # coupons) or "pool" (codes the shop uploaded); None: journeys can not offer coupons.
    coupon_source: Mapped[str | None] = mapped_column(String(20))
    # Where the cart's current prices, stock and images come from: "shopify",
    # "woocommerce" or "endpoint" (the shop's own `GET {catalog_url}?skus=...`).
    catalog_source: Mapped[str | None] = mapped_column(String(20))
    # Platform credentials for coupons and the catalog (Text: they are stored encrypted).
    shopify_admin_token: Mapped[str | None] = mapped_column(Text)
    woocommerce_url: Mapped[str | None] = mapped_column(String(2048))  # the store's base URL
    woocommerce_consumer_key: Mapped[str | None] = mapped_column(Text)
    woocommerce_consumer_secret: Mapped[str | None] = mapped_column(Text)
    catalog_url: Mapped[str | None] = mapped_column(String(2048))
    catalog_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ApiKey(Base):
    """An API key of one shop, stored as its SHA-256 digest; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop: Mapped[str] = mapped_column(ForeignKey("shops.shop", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the key
    prefix: Mapped[str] = mapped_column(String(20))  # the key's first characters, to tell apart
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]


class IdempotentRequest(Base):
    """A POST/PUT sent with an Idempotency-Key, and the answer it got, per shop.

    `status_code` is None while the first request is still being handled.
    """

    __tablename__ = "idempotent_requests"

    shop: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    body_digest: Mapped[str] = mapped_column(String(64))  # hex SHA-256 of the raw body
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    # indexed: every API process deletes the expired answers now and then
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class JourneyRelease(Base):
    """A published journey version, frozen: never updated, never deleted (database triggers
    refuse both), so a cart that keeps its id keeps its messages."""

    __tablename__ = "journey_releases"
    __table_args__ = (UniqueConstraint("journey", "version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the content
    journey: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # releases.release.canonical_content
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(server_default=func.now())


class JourneyShop(Base):
    """Which journey serves a shop (`shops:` in journey.yaml, stored when published)."""

    __tablename__ = "journey_shops"

    shop: Mapped[str] = mapped_column(String(100), primary_key=True)
    journey: Mapped[str] = mapped_column(String(100), index=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class JourneyActivation(Base):
    """What new carts of a journey get from `activated_at` on: one release or a split.

    Rows are only ever added: the latest row per (journey, shop) is live, the others are
    the audit trail. `shop` is None for the deployment-wide activation.
    """

    __tablename__ = "journey_activations"
    __table_args__ = (Index("ix_activations_journey", "journey", "shop", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey: Mapped[str] = mapped_column(String(100))
    shop: Mapped[str | None] = mapped_column(String(100))
    # [{"release_id": ..., "version": N, "weight": basis points}], weights summing to 10000
    split: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(20))  # "activate" or "rollback"
    replaces_id: Mapped[int | None]  # the row that was live before this one
    restores_id: Mapped[int | None]  # rollback: the row whose split this one brings back
    activated_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class JourneyEntryRow(Base):
    """A cart that entered its journey at abandonment: the unit every report counts.

    Converted, in every group alike, means an order for the cart placed between
    `abandoned_at` and `window_ends_at` (journey_schema/clock.py).
    """

    __tablename__ = "journey_entries"
    __table_args__ = (
        UniqueConstraint("workflow_id", "run_id"),
        Index("ix_entries_journey", "journey", "shop", "abandoned_at"),
        # every shop's carts of a journey since a time, and the latest of them
        Index("ix_entries_journey_time", "journey", "abandoned_at"),
        Index("ix_entries_release", "release_id", "held_out"),
        Index("ix_entries_cart", "shop", "cart_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    shop: Mapped[str] = mapped_column(String(200))
    cart_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(200))
    journey: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    release_id: Mapped[str] = mapped_column(String(64))
    held_out: Mapped[bool]
    abandoned_at: Mapped[datetime]
    window_ends_at: Mapped[datetime]
    cart_total: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))


class ExperimentAssignment(Base):
    """A cart's arm of one experiment, assigned when it entered the journey (every cart of
    the release, whether or not it reaches the split: reports compare like with like).

    `reached_at` is when it reached the split; `arm_taken` the arm it took there (the
    winner, once one is decided). `after_decision` rows entered after the experiment was
    decided or stopped: they take the winner and are not part of the experiment.
    """

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("workflow_id", "run_id", "experiment"),
        Index("ix_assignments_experiment", "release_id", "experiment", "arm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    journey: Mapped[str] = mapped_column(String(100))
    release_id: Mapped[str] = mapped_column(String(64))
    experiment: Mapped[str] = mapped_column(String(100))
    arm: Mapped[str] = mapped_column(String(50))
    after_decision: Mapped[bool]
    assigned_at: Mapped[datetime]
    reached_at: Mapped[datetime | None]
    arm_taken: Mapped[str | None] = mapped_column(String(50))


class ExperimentDecision(Base):
    """An experiment of a release decided (a winner) or stopped (everyone to the control),
    by its rule or by a person; new carts reaching its split take `arm`. One per
    experiment and release, never changed."""

    __tablename__ = "experiment_decisions"
    __table_args__ = (UniqueConstraint("release_id", "experiment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey: Mapped[str] = mapped_column(String(100))
    release_id: Mapped[str] = mapped_column(String(64))
    experiment: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # experiments.decisions.DecisionAction
    arm: Mapped[str] = mapped_column(String(50))
    decided_by: Mapped[str] = mapped_column(String(200))  # a person, or "rule"
    reason: Mapped[str] = mapped_column(Text)
    numbers: Mapped[dict[str, Any]] = mapped_column(JSON)  # the report's figures then
    decided_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DashboardUser(Base):
    """A person who may read the dashboard of some shops; the password as an argon2 hash."""

    __tablename__ = "dashboard_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    disabled_at: Mapped[datetime | None]


class DashboardUserShop(Base):
    __tablename__ = "dashboard_user_shops"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), primary_key=True
    )
    shop: Mapped[str] = mapped_column(
        ForeignKey("shops.shop", ondelete="CASCADE"), primary_key=True
    )


class Coupon(Base):
    """A unique, single-use code made for one customer at one send step (coupons/).

    The row is stored, `claimed`, before the platform is asked to make the code, so a
    retried send finds it and never makes a second one; `issued` once the platform (or
    the shop's pool) holds it, `failed` when it refused for good.
    """

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("shop", "code"),
        # customer.coupons_sent_30d: a customer's codes by time, by id or by contact
        Index("ix_coupons_customer", "shop", "customer_id", "created_at"),
        Index("ix_coupons_contact", "shop", "contact_digest", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # the send step's outbox key
    shop: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # shopify, woocommerce, pool
    customer_id: Mapped[str] = mapped_column(String(200))
    workflow_id: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(100))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    expires_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))  # claimed, issued, failed
    platform_ref: Mapped[str | None] = mapped_column(String(300))  # the platform's id for it
    failure: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    issued_at: Mapped[datetime | None]
    # coupons/recipients.py: the same person across guest checkouts
    contact_digest: Mapped[str | None] = mapped_column(String(64))


class PooledCoupon(Base):
    """A code the shop uploaded (`cartnudge coupons import`), free until a send claims it."""

    __tablename__ = "coupon_pool"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(server_default=func.now())
    claimed_by: Mapped[str | None] = mapped_column(String(300), unique=True)  # a coupon's key
    claimed_at: Mapped[datetime | None]


class CouponRedemption(Base):
    """A discount code an order used, and what it took off (ours or not: reports join)."""

    __tablename__ = "coupon_redemptions"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)  # the discount, in `currency`
    currency: Mapped[str] = mapped_column(String(3))
    redeemed_at: Mapped[datetime]


class OrderLine(Base):
    """One line of an order the shop sent: what recommendations learn from."""

    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_shop_time", "shop", "placed_at"),)

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)  # 0, 1, ... in the order's order
    sku: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    placed_at: Mapped[datetime]


# --- recommendations: the nightly refresh replaces a shop's rows in one transaction ------

LIFT = Numeric(12, 4)  # how many times more often bought together than by chance


class ProductPair(Base):
    """For a product, one of those most often bought with it (recommendations/)."""

    __tablename__ = "product_pairs"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    rank: Mapped[int] = mapped_column(primary_key=True)  # 1 = the best lift
    recommended_sku: Mapped[str] = mapped_column(String(200))
    lift: Mapped[Decimal] = mapped_column(LIFT)
    orders_together: Mapped[int]


class PopularProduct(Base):
    """The shop's products in the most orders lately: the fallback of every cart."""

    __tablename__ = "popular_products"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    rank: Mapped[int] = mapped_column(primary_key=True)  # 1 = in the most orders
    sku: Mapped[str] = mapped_column(String(200))
    orders: Mapped[int]


class RecommendedProduct(Base):
    """What a message shows of a product the lists name, as the last order and cart had it."""

    __tablename__ = "recommended_products"

    shop: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))  # from its most recent order line
    price: Mapped[Decimal] = mapped_column(MONEY)  # that line's unit price, in `currency`
    currency: Mapped[str] = mapped_column(String(3))
    image_url: Mapped[str | None] = mapped_column(String(2048))  # from the latest cart with it
    url: Mapped[str | None] = mapped_column(String(2048))
