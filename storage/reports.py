"""The report queries: a journey's entered carts, their conversions and revenue, by
release, holdout, experiment arm, step and day.

One rule for every group: a cart converted when an order for it, in the cart's currency,
was placed between its abandonment and the end of its attribution window (stored on the
entry, journey_schema/clock.py). An order's time is when the shop says it was placed,
else when we received it. Sums of squares come back with the sums, so the statistics
(experiments/sequential.py) need no per-cart rows.

Coupons, by the same groups: those cartnudge issued to the cart's run, those of them its
converting orders redeemed (codes matched without regard to case), and the discount they
took off, in the cart's currency (storage/coupon_redemptions.py says what a discount is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, and_, case, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.coupon_redemptions import redeemed_discount, same_code
from storage.coupons import CouponState
from storage.inserts import dialect_of
from storage.models import (
    Coupon,
    CouponRedemption,
    EngagementEvent,
    ExperimentAssignment,
    JourneyEntryRow,
    JourneyOutcome,
    Message,
    Order,
)


@dataclass(frozen=True)
class ReportScope:
    journey: str
    shops: Sequence[str] | None  # None: every shop
    since: datetime | None
    until: datetime
    currency: str | None = None  # None: every currency (only to count them)
    release_id: str | None = None  # None: every release

    def where(self) -> list[ColumnElement[bool]]:
        entry = JourneyEntryRow
        conditions = [entry.journey == self.journey, entry.abandoned_at <= self.until]
        if self.shops is not None:
            conditions.append(entry.shop.in_(self.shops))
        if self.since is not None:
            conditions.append(entry.abandoned_at >= self.since)
        if self.currency is not None:
            conditions.append(entry.currency == self.currency)
        if self.release_id is not None:
            conditions.append(entry.release_id == self.release_id)
        return conditions


@dataclass(frozen=True)
class Totals:
    """One group's sums: what the statistics need."""

    carts: int
    conversions: int
    click_conversions: int
    revenue: Decimal
    revenue_squares: Decimal
    cart_value: Decimal = Decimal(0)  # the carts' totals at abandonment, summed
    coupons_issued: int = 0  # coupons cartnudge issued to the carts' runs
    coupons_redeemed: int = 0  # ... of them redeemed by orders that converted the carts
    discount: Decimal = Decimal(0)  # what those took off, in the scope's currency


def _closed(window_ends_at: Any, scope: ReportScope) -> Any:
    """Whether the carts' attribution window has closed: only those are compared, since a
    cart still in its window may yet convert, and sooner in an arm that sends sooner."""
    return (window_ends_at <= scope.until).label("closed")


def _conversions(scope: ReportScope) -> Any:
    """Per converted entry: its revenue in the window, when its first order came, and the
    entry's columns the groups are made of."""
    entry, order = JourneyEntryRow, Order
    ordered_at = func.coalesce(order.placed_at, order.received_at)
    return (
        select(
            entry.id.label("entry_id"),
            entry.workflow_id,
            entry.run_id,
            entry.release_id,
            entry.version,
            entry.held_out,
            entry.abandoned_at,
            entry.window_ends_at,
            # An order in another currency than the cart's (Shopify Markets: the cart in the
            # customer's, the order in the shop's) converts the cart; its money is not added.
            func.sum(case((order.currency == entry.currency, order.total), else_=0)).label(
                "revenue"
            ),
            func.min(ordered_at).label("first_order_at"),
        )
        .join(
            order,
            and_(
                order.shop == entry.shop,
                order.cart_id == entry.cart_id,
                ordered_at >= entry.abandoned_at,
                ordered_at <= entry.window_ends_at,
                ordered_at <= scope.until,
            ),
        )
        .where(*scope.where())
        .group_by(entry.id)
        .subquery("conversions")
    )


def _coupons(scope: ReportScope) -> Any:
    """Per entry with a coupon: the coupons issued to its run, those redeemed by an order
    converting it (the rule of _conversions), their discount in the cart's currency, and
    the entry's columns the groups are made of (named as in _conversions)."""
    entry, coupon, redemption, order = JourneyEntryRow, Coupon, CouponRedemption, Order
    ordered_at = func.coalesce(order.placed_at, order.received_at)
    redeemed = (
        select(
            redemption.shop,
            redemption.code,
            redemption.amount,
            redemption.currency,
            order.cart_id,
            ordered_at.label("ordered_at"),
        )
        .join(order, and_(order.shop == redemption.shop, order.order_id == redemption.order_id))
        .subquery("redeemed")
    )
    converting = and_(
        redeemed.c.shop == coupon.shop,
        same_code(redeemed.c.code, coupon.code),
        redeemed.c.cart_id == entry.cart_id,
        redeemed.c.ordered_at >= entry.abandoned_at,
        redeemed.c.ordered_at <= entry.window_ends_at,
        redeemed.c.ordered_at <= scope.until,
    )
    in_cart_currency = and_(redeemed.c.code.is_not(None), redeemed.c.currency == entry.currency)
    discount = redeemed_discount(redeemed.c.amount, redeemed.c.currency)
    return (
        select(
            entry.id.label("entry_id"),
            entry.workflow_id,
            entry.run_id,
            entry.release_id,
            entry.version,
            entry.held_out,
            entry.window_ends_at,
            func.count(func.distinct(coupon.id)).label("coupons_issued"),
            func.count(func.distinct(case((redeemed.c.code.is_not(None), coupon.id)))).label(
                "coupons_redeemed"
            ),
            func.sum(case((in_cart_currency, discount), else_=0)).label("discount"),
        )
        .join(
            coupon,
            and_(
                coupon.workflow_id == entry.workflow_id,
                coupon.run_id == entry.run_id,
                coupon.state == CouponState.ISSUED.value,
            ),
        )
        .outerjoin(redeemed, converting)
        .where(*scope.where())
        .group_by(entry.id)
        .subquery("coupons")
    )


def _coupon_columns(coupons: Any) -> list[Any]:
    return [
        func.sum(coupons.c.coupons_issued).label("coupons_issued"),
        func.sum(coupons.c.coupons_redeemed).label("coupons_redeemed"),
        func.sum(coupons.c.discount).label("discount"),
    ]


def _clicked_before(conversions: Any) -> ColumnElement[bool]:
    """The converted cart's run recorded a click on one of our links before its first order."""
    event = EngagementEvent
    return exists().where(
        event.workflow_id == conversions.c.workflow_id,
        event.run_id == conversions.c.run_id,
        event.kind == "clicked",
        event.occurred_at <= conversions.c.first_order_at,
    )


def _conversion_columns(conversions: Any) -> list[Any]:
    revenue = conversions.c.revenue
    return [
        func.count().label("conversions"),
        func.sum(case((_clicked_before(conversions), 1), else_=0)).label("click_conversions"),
        func.sum(revenue).label("revenue"),
        func.sum(revenue * revenue).label("revenue_squares"),
    ]


def _with_conversions(
    carts: Select[Any], converted: Select[Any], keys: Sequence[str], *more: Select[Any]
) -> Any:
    """Each group of `carts` (its `keys`, `carts` and `cart_value`) with the sums of
    `converted` (and of each of `more`, such as the coupons) for the same keys, 0 where
    none converted.

    The two sides are summed apart and joined once they are a row per group: a join of
    every entry with its conversion would be planned from the join's estimate, which
    PostgreSQL gets wrong by orders of magnitude (it takes workflow id and run id for
    independent columns), and a nested loop over a million carts follows.
    """
    totals = carts.subquery("carts")
    sides = [converted.subquery("converted")]
    sides += [side.subquery(f"more_{n}") for n, side in enumerate(more)]
    statement = select(
        *(totals.c[key] for key in keys),
        totals.c.carts,
        totals.c.cart_value,
        *(
            func.coalesce(column, 0).label(column.name)
            for sums in sides
            for column in sums.c
            if column.name not in keys
        ),
    ).select_from(totals)
    for sums in sides:
        statement = statement.outerjoin(sums, and_(*(sums.c[key] == totals.c[key] for key in keys)))
    return statement


def _carts_columns() -> list[Any]:
    return [func.count().label("carts"), func.sum(JourneyEntryRow.cart_total).label("cart_value")]


def _totals(row: Any) -> Totals:
    return Totals(
        carts=int(row.carts),
        conversions=int(row.conversions),
        click_conversions=int(row.click_conversions or 0),
        revenue=Decimal(row.revenue or 0),
        revenue_squares=Decimal(row.revenue_squares or 0),
        cart_value=Decimal(row.cart_value or 0),
        coupons_issued=int(row.coupons_issued or 0),
        coupons_redeemed=int(row.coupons_redeemed or 0),
        discount=Decimal(row.discount or 0),
    )


async def in_main_currency(session: AsyncSession, scope: ReportScope) -> tuple[ReportScope, int]:
    """The scope narrowed to the currency most of its carts are in (money of different
    currencies is never added up), and how many carts that leaves out."""
    currencies = await carts_by_currency(session, scope)
    if not currencies:
        return replace(scope, currency=NO_CURRENCY), 0
    main = max(currencies, key=lambda c: currencies[c])
    return replace(scope, currency=main), sum(currencies.values()) - currencies[main]


NO_CURRENCY = "XXX"  # ISO 4217's "no currency": a scope without carts


async def carts_by_currency(session: AsyncSession, scope: ReportScope) -> dict[str, int]:
    entry = JourneyEntryRow
    result = await session.execute(
        select(entry.currency, func.count()).where(*scope.where()).group_by(entry.currency)
    )
    return {currency: int(count) for currency, count in result.all()}


@dataclass(frozen=True)
class ReleaseTotals:
    release_id: str
    version: int
    held_out: bool
    totals: Totals
    closed: bool = True  # the carts' windows have closed by the report's end


async def totals_by_release(session: AsyncSession, scope: ReportScope) -> list[ReleaseTotals]:
    """Per release, the treated carts and the held-out carts apart."""
    entry = JourneyEntryRow
    conversions = _conversions(scope)
    keys = (entry.release_id, entry.version, entry.held_out, _closed(entry.window_ends_at, scope))
    carts = select(*keys, *_carts_columns()).where(*scope.where()).group_by(*keys)
    converted_keys = (
        conversions.c.release_id,
        conversions.c.version,
        conversions.c.held_out,
        _closed(conversions.c.window_ends_at, scope),
    )
    converted = select(*converted_keys, *_conversion_columns(conversions)).group_by(*converted_keys)
    coupons = _coupons(scope)
    coupon_keys = (
        coupons.c.release_id,
        coupons.c.version,
        coupons.c.held_out,
        _closed(coupons.c.window_ends_at, scope),
    )
    couponed = select(*coupon_keys, *_coupon_columns(coupons)).group_by(*coupon_keys)
    statement = _with_conversions(
        carts, converted, ["release_id", "version", "held_out", "closed"], couponed
    )
    return [
        ReleaseTotals(row.release_id, row.version, row.held_out, _totals(row), row.closed)
        for row in (await session.execute(statement.order_by("version"))).all()
    ]


@dataclass(frozen=True)
class ArmTotals:
    release_id: str
    experiment: str
    arm: str
    after_decision: bool
    totals: Totals
    closed: bool = True  # the carts' windows have closed by the report's end


async def totals_by_arm(session: AsyncSession, scope: ReportScope) -> list[ArmTotals]:
    """Per experiment arm: every cart assigned to it when it entered (reached the split
    or not), those that entered after a decision apart."""
    entry, assignment = JourneyEntryRow, ExperimentAssignment
    conversions = _conversions(scope)
    keys = _arm_keys()
    closed = _closed(entry.window_ends_at, scope)
    took_winner = _took_another_arm()
    carts = (
        select(*keys, closed, took_winner, *_carts_columns())
        .select_from(entry)
        .join(
            assignment,
            and_(assignment.workflow_id == entry.workflow_id, assignment.run_id == entry.run_id),
        )
        .where(*scope.where())
        .group_by(*keys, closed, took_winner)
    )
    converted = _per_assigned_arm(conversions, _conversion_columns(conversions), scope)
    coupons = _coupons(scope)
    couponed = _per_assigned_arm(coupons, _coupon_columns(coupons), scope)
    statement = _with_conversions(
        carts,
        converted,
        ["release_id", "experiment", "arm", "after_decision", "closed", "took_winner"],
        couponed,
    )
    # A cart that reached the split after a decision took the winner, and would blur its
    # own arm: left out (grouped apart rather than filtered, which misleads the planner).
    return [
        ArmTotals(
            row.release_id,
            row.experiment,
            row.arm,
            row.after_decision,
            _totals(row),
            row.closed,
        )
        for row in (await session.execute(statement)).all()
        if not row.took_winner
    ]


def _arm_keys() -> tuple[Any, ...]:
    assignment = ExperimentAssignment
    return (assignment.release_id, assignment.experiment, assignment.arm, assignment.after_decision)


def _per_assigned_arm(source: Any, columns: list[Any], scope: ReportScope) -> Any:
    """The source's figures (conversions, coupons: a subquery with a run's workflow_id,
    run_id and window_ends_at) per experiment arm its run was assigned, grouped like the
    carts of totals_by_arm."""
    assignment = ExperimentAssignment
    keys = _arm_keys()
    closed, took_winner = _closed(source.c.window_ends_at, scope), _took_another_arm()
    return (
        select(*keys, closed, took_winner, *columns)
        .select_from(source)
        .join(
            assignment,
            and_(
                assignment.workflow_id == source.c.workflow_id,
                assignment.run_id == source.c.run_id,
            ),
        )
        .group_by(*keys, closed, took_winner)
    )


def _took_another_arm() -> Any:
    """The cart reached the split after a decision and took the winner, not its arm."""
    assignment = ExperimentAssignment
    return and_(assignment.arm_taken.is_not(None), assignment.arm_taken != assignment.arm).label(
        "took_winner"
    )


@dataclass(frozen=True)
class SplitReached:
    release_id: str
    experiment: str
    arm: str  # the arm taken there
    carts: int


async def carts_at_splits(session: AsyncSession, scope: ReportScope) -> list[SplitReached]:
    entry, assignment = JourneyEntryRow, ExperimentAssignment
    statement = (
        select(assignment.release_id, assignment.experiment, assignment.arm_taken, func.count())
        .select_from(entry)
        .join(
            assignment,
            and_(assignment.workflow_id == entry.workflow_id, assignment.run_id == entry.run_id),
        )
        .where(*scope.where(), assignment.reached_at.is_not(None))
        .group_by(assignment.release_id, assignment.experiment, assignment.arm_taken)
    )
    return [
        SplitReached(release_id, experiment, arm or "", int(count))
        for release_id, experiment, arm, count in (await session.execute(statement)).all()
    ]


DELIVERED, OPENED, MACHINE_OPENED, CLICKED = 1, 2, 4, 8  # a message's events, as bits


@dataclass(frozen=True)
class StepTotals:
    release_id: str
    step: str
    entered: int  # carts whose journey reached the send step (any result)
    sent: int
    delivered: int
    opened: int  # by a person
    machine_opened: int  # only by a machine
    clicked: int
    converted_after: int


async def totals_by_step(session: AsyncSession, scope: ReportScope) -> list[StepTotals]:
    """Per send step: what became of its messages, and how many carts bought after one."""
    entry, message, event = JourneyEntryRow, Message, EngagementEvent
    conversions = _conversions(scope)
    # What became of each message, as one number: a bit per kind of event it had (the
    # unique key ends in kind: one event of a kind at most), read in one index lookup.
    bits = case(
        (event.kind == "delivered", DELIVERED),
        (and_(event.kind == "opened", event.machine.is_(False)), OPENED),
        (and_(event.kind == "opened", event.machine.is_(True)), MACHINE_OPENED),
        (event.kind == "clicked", CLICKED),
        else_=0,
    )
    seen = (
        select(func.coalesce(func.sum(bits), 0))
        .where(
            event.workflow_id == message.workflow_id,
            event.run_id == message.run_id,
            event.message_id == message.message_id,
        )
        .correlate(message)
        .scalar_subquery()
    )
    # the messages counted by what became of them: a row per step, status and bits
    kinds = (
        select(
            message.release_id,
            message.step,
            message.status,
            seen.label("seen"),
            func.count().label("messages"),
        )
        .select_from(entry)
        .join(
            message,
            and_(message.workflow_id == entry.workflow_id, message.run_id == entry.run_id),
        )
        .where(*scope.where())
        .group_by(message.release_id, message.step, message.status, seen)
        .subquery("kinds")
    )

    def has(bit: int) -> ColumnElement[bool]:
        return (kinds.c.seen // bit) % 2 == 1

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, kinds.c.messages), else_=0))

    # a click proves the open, even with images blocked (as the workflow counts it)
    by_person = or_(has(OPENED), has(CLICKED))
    messages = (
        select(
            kinds.c.release_id,
            kinds.c.step,
            func.sum(kinds.c.messages).label("entered"),
            counted(kinds.c.status == "sent").label("sent"),
            counted(has(DELIVERED)).label("delivered"),
            counted(by_person).label("opened"),
            counted(and_(has(MACHINE_OPENED), ~has(CLICKED))).label("machine_opened"),
            counted(has(CLICKED)).label("clicked"),
        )
        .group_by(kinds.c.release_id, kinds.c.step)
        .subquery("messages")
    )
    keys = (message.release_id, message.step)
    sent = message.status == "sent"
    bought = (
        select(*keys, func.count().label("converted_after"))
        .select_from(conversions)
        .join(
            message,
            and_(
                message.workflow_id == conversions.c.workflow_id,
                message.run_id == conversions.c.run_id,
            ),
        )
        .where(sent, conversions.c.first_order_at > message.sent_at)
        .group_by(*keys)
        .subquery("bought")
    )
    statement = select(
        messages, func.coalesce(bought.c.converted_after, 0).label("converted_after")
    ).outerjoin(
        bought,
        and_(bought.c.release_id == messages.c.release_id, bought.c.step == messages.c.step),
    )
    return [
        StepTotals(
            row.release_id,
            row.step,
            int(row.entered),
            int(row.sent or 0),
            int(row.delivered or 0),
            int(row.opened or 0),
            int(row.machine_opened or 0),
            int(row.clicked or 0),
            int(row.converted_after or 0),
        )
        for row in (await session.execute(statement)).all()
        if row.release_id is not None
    ]


@dataclass(frozen=True)
class DayTotals:
    day: date
    held_out: bool
    carts: int
    conversions: int
    revenue: Decimal


async def totals_by_day(session: AsyncSession, scope: ReportScope) -> list[DayTotals]:
    """Per day of abandonment (UTC), the treated and the held-out carts apart."""
    entry = JourneyEntryRow
    conversions = _conversions(scope)
    sqlite = dialect_of(session) == "sqlite"

    def day_of(abandoned_at: Any) -> Any:
        if sqlite:
            return func.date(abandoned_at)
        return cast(func.timezone("UTC", abandoned_at), Date)

    day, converted_day = day_of(entry.abandoned_at), day_of(conversions.c.abandoned_at)
    carts = (
        select(day.label("day"), entry.held_out, *_carts_columns())
        .where(*scope.where())
        .group_by(day, entry.held_out)
    )
    converted = select(
        converted_day.label("day"),
        conversions.c.held_out,
        func.count().label("conversions"),
        func.sum(conversions.c.revenue).label("revenue"),
    ).group_by(converted_day, conversions.c.held_out)
    statement = _with_conversions(carts, converted, ["day", "held_out"])
    return [
        DayTotals(
            row.day if isinstance(row.day, date) else date.fromisoformat(row.day),
            row.held_out,
            int(row.carts),
            int(row.conversions),
            Decimal(row.revenue or 0),
        )
        for row in (await session.execute(statement.order_by("day"))).all()
    ]


@dataclass(frozen=True)
class RecentEntry:
    shop: str
    cart_id: str
    workflow_id: str
    run_id: str
    abandoned_at: datetime
    version: int
    held_out: bool
    outcome: str | None
    revenue: Decimal | None


async def recent_entries(
    session: AsyncSession, scope: ReportScope, *, limit: int = 20
) -> list[RecentEntry]:
    """The latest carts to enter the journey, with how their journey ended, if it has."""
    entry, outcome = JourneyEntryRow, JourneyOutcome
    statement = (
        select(
            entry.shop,
            entry.cart_id,
            entry.workflow_id,
            entry.run_id,
            entry.abandoned_at,
            entry.version,
            entry.held_out,
            outcome.outcome,
            outcome.revenue,
        )
        .outerjoin(
            outcome,
            and_(outcome.workflow_id == entry.workflow_id, outcome.run_id == entry.run_id),
        )
        .where(*scope.where())
        .order_by(entry.abandoned_at.desc(), entry.id.desc())
        .limit(limit)
    )
    return [RecentEntry(**row._asdict()) for row in (await session.execute(statement)).all()]


async def arms_of_runs(
    session: AsyncSession, runs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """(workflow id, run id) -> experiment -> arm taken (or assigned, before the split):
    the one source of a recent cart's arms, finished or not."""
    if not runs:
        return {}
    assignment = ExperimentAssignment
    statement = select(
        assignment.workflow_id,
        assignment.run_id,
        assignment.experiment,
        func.coalesce(assignment.arm_taken, assignment.arm),
    ).where(
        or_(
            *(
                and_(assignment.workflow_id == workflow_id, assignment.run_id == run_id)
                for workflow_id, run_id in runs
            )
        )
    )
    arms: dict[tuple[str, str], dict[str, str]] = {}
    for workflow_id, run_id, experiment, arm in (await session.execute(statement)).all():
        arms.setdefault((workflow_id, run_id), {})[experiment] = arm
    return arms


async def journeys_of(session: AsyncSession, shops: Sequence[str] | None) -> list[str]:
    """The journeys that carts of these shops entered, by name."""
    entry = JourneyEntryRow
    statement = select(entry.journey).distinct().order_by(entry.journey)
    if shops is not None:
        statement = statement.where(entry.shop.in_(shops))
    return list(await session.scalars(statement))


async def customers_by_group(
    session: AsyncSession, scope: ReportScope
) -> dict[tuple[str, str, str], int]:
    """Distinct customers per (release, experiment, arm) and per (release, "holdout",
    "held out"/"messaged"): the units a customer-sticky assignment deals out, which the
    sample-ratio check counts (a customer's carts all land on one side)."""
    entry, assignment = JourneyEntryRow, ExperimentAssignment
    customers = func.count(func.distinct(entry.customer_id))
    arms = (
        select(assignment.release_id, assignment.experiment, assignment.arm, customers)
        .select_from(entry)
        .join(
            assignment,
            and_(assignment.workflow_id == entry.workflow_id, assignment.run_id == entry.run_id),
        )
        .where(*scope.where(), assignment.after_decision.is_(False))
        .group_by(assignment.release_id, assignment.experiment, assignment.arm)
    )
    holdout = (
        select(entry.release_id, entry.held_out, customers)
        .where(*scope.where())
        .group_by(entry.release_id, entry.held_out)
    )
    counted: dict[tuple[str, str, str], int] = {}
    for release_id, experiment, arm, count in (await session.execute(arms)).all():
        counted[(release_id, experiment, arm)] = int(count)
    for release_id, held_out, count in (await session.execute(holdout)).all():
        counted[(release_id, HOLDOUT_GROUP, HELD_OUT if held_out else MESSAGED)] = int(count)
    return counted


HOLDOUT_GROUP, HELD_OUT, MESSAGED = "~holdout", "held out", "messaged"
