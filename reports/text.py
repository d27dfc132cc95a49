"""The journey report as text, for `cartnudge report`: words and numbers a marketer reads."""

from __future__ import annotations

import math

from reports.model import (
    ExperimentResult,
    GroupResult,
    Interval,
    JourneyReport,
    Lift,
    StepNode,
)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%" if math.isfinite(value) else "?"


def points(value: float) -> str:
    """A difference of rates in percentage points, signed."""
    return f"{value * 100:+.1f}" if math.isfinite(value) else "?"


def money(value: float, currency: str = "") -> str:
    if not math.isfinite(value):
        return "?"
    return f"{currency} {value:,.2f}".strip()


NOT_YET = "not enough data yet"


def carts(count: int) -> str:
    return f"{count:,} cart" if count == 1 else f"{count:,} carts"


def _bounded(interval: Interval) -> bool:
    return math.isfinite(interval.low) and math.isfinite(interval.high)


def rate_interval(interval: Interval) -> str:
    if not _bounded(interval):
        return f"{percent(interval.estimate)} ({NOT_YET})"
    return f"{percent(interval.estimate)} ({percent(interval.low)} to {percent(interval.high)})"


def money_interval(interval: Interval, currency: str = "") -> str:
    if not _bounded(interval):
        return f"{money(interval.estimate, currency)} ({NOT_YET})"
    return f"{money(interval.estimate, currency)} ({money(interval.low)} to {money(interval.high)})"


def lift_words(lift: Lift, *, rate: bool, currency: str) -> str:
    difference = lift.absolute
    if rate:
        words = f"{points(difference.estimate)} points"
        bounds = f"{points(difference.low)} to {points(difference.high)}"
    else:
        words = f"{difference.estimate:+,.2f} {currency} per cart"
        bounds = f"{difference.low:+,.2f} to {difference.high:+,.2f}"
    words += f" ({bounds})" if _bounded(difference) else f" ({NOT_YET})"
    if lift.relative is not None and math.isfinite(lift.relative.estimate):
        words += f", {lift.relative.estimate * 100:+.0f}%"
    verdict = "clear" if lift.significant else "not clear yet"
    return f"vs {lift.versus}: {words}, {verdict} (p = {lift.p_value:.3f})"


def coupon_words(issued: int, redeemed: int, discount: float, currency: str) -> str:
    """What the offers cost: "coupons 12 issued, 3 redeemed, discount TRY 150.00"."""
    return f"coupons {issued:,} issued, {redeemed:,} redeemed, discount {money(discount, currency)}"


def format_report(report: JourneyReport) -> str:
    lines = [_title(report), f"Converted: {report.attribution}, the same rule for every group."]
    lines.append("Intervals are 95% and always valid: safe to look at every day.")
    if report.other_currency_carts:
        lines.append(
            f"{carts(report.other_currency_carts)} in other currencies left out "
            f"(this report is in {report.currency})."
        )
    lines.append("")
    lines += _group_lines("Messaged carts", report.treated, report.currency)
    if report.holdout is not None:
        lines += _group_lines("Holdout (never messaged)", report.holdout, report.currency)
    ratio = report.holdout_sample_ratio
    if ratio is not None and ratio.mismatch:
        lines.append(
            f"Holdout share: MISMATCH (p = {ratio.p_value:.5f}): held-out carts do not match "
            "the planned share; do not trust the lifts"
        )
    if report.incremental_revenue is not None:
        lines.append(
            "Incremental revenue (beyond the holdout's rate): "
            + money_interval(report.incremental_revenue, report.currency)
        )
    for experiment in report.experiments:
        lines += ["", *_experiment_lines(experiment, report.currency)]
    if report.steps:
        lines += ["", f"Steps of v{report.steps_version}:"]
        lines += _step_lines(report.steps, "  ")
    if report.releases:
        lines += ["", "Releases:"]
        for release in report.releases:
            line = (
                f"  v{release.version} ({release.release_id[:12]}): {carts(release.carts)}, "
                f"{release.held_out:,} held out; {release.conversions:,} messaged carts "
                f"converted, {money(release.revenue, report.currency)} recovered"
            )
            if release.coupons_issued or release.coupons_redeemed:
                line += "; " + coupon_words(
                    release.coupons_issued,
                    release.coupons_redeemed,
                    release.discount,
                    report.currency,
                )
            lines.append(line)
    return "\n".join(lines) + "\n"


def _title(report: JourneyReport) -> str:
    where = f"shop {report.shop}" if report.shop else "every shop"
    since = f"since {report.since:%Y-%m-%d}" if report.since else "all time"
    return f"Journey {report.journey}, {where}, {since} (to {report.until:%Y-%m-%d %H:%M} UTC)"


def _group_lines(title: str, group: GroupResult, currency: str) -> list[str]:
    lines = [
        f"{title}: {carts(group.carts)}, {group.conversions:,} converted "
        f"({group.click_conversions:,} after a click on our link), "
        f"{money(group.revenue, currency)}",
        f"  conversion rate {rate_interval(group.conversion_rate)}; revenue per cart "
        f"{money_interval(group.revenue_per_cart, currency)}",
    ]
    if group.coupons_issued or group.coupons_redeemed:
        offers = coupon_words(
            group.coupons_issued, group.coupons_redeemed, group.discount, currency
        )
        lines.append(f"  {offers} (the revenue above is net of it)")
    for lift in group.conversion_lifts:
        lines.append(f"  conversion {lift_words(lift, rate=True, currency=currency)}")
    for lift in group.revenue_lifts:
        lines.append(f"  revenue {lift_words(lift, rate=False, currency=currency)}")
    return lines


def _experiment_lines(experiment: ExperimentResult, currency: str) -> list[str]:
    sticky = "per customer" if experiment.assign == "customer" else "per cart"
    lines = [
        f"Experiment {experiment.experiment} (v{experiment.version}, {experiment.path}, "
        f"arms sticky {sticky}; control: {experiment.control})"
    ]
    if experiment.rule:
        lines.append(f"  Rule: {experiment.rule}")
    for arm in experiment.arms:
        share = f"{arm.weight_percent:g}%" if arm.weight_percent is not None else ""
        lines += [f"  {line}" for line in _group_lines(f"Arm {arm.name} ({share})", arm, currency)]
    srm = experiment.sample_ratio
    if srm.p_value is None:
        lines.append("  Sample ratio: too few carts to check yet")
    elif srm.mismatch:
        lines.append(
            f"  Sample ratio: MISMATCH (p = {srm.p_value:.5f}): the arms' carts do not match "
            "their weights, so assignment is broken; do not trust these numbers"
        )
    else:
        lines.append(f"  Sample ratio: as planned (p = {srm.p_value:.3f})")
    if experiment.decision is not None:
        decision = experiment.decision
        lines.append(
            f"  Decision: {decision.action.value} {decision.arm}, by {decision.decided_by} at "
            f"{decision.decided_at:%Y-%m-%d %H:%M} UTC: {decision.reason}"
        )
        if experiment.carts_after_decision:
            lines.append(
                f"  {carts(experiment.carts_after_decision)} since took {decision.arm} "
                "(not counted above)"
            )
    elif experiment.projection:
        lines.append(f"  Not decided: {experiment.projection}")
    return lines


def _step_lines(nodes: list[StepNode], indent: str) -> list[str]:
    lines = []
    for node in nodes:
        counts = node.counts
        numbers = []
        if counts.sent is not None:
            numbers = [
                f"sent {counts.sent:,}",
                f"delivered {counts.delivered or 0:,}",
                f"opened {counts.opened or 0:,} (+{counts.machine_opened or 0:,} by machines)",
                f"clicked {counts.clicked or 0:,}",
                f"converted after {counts.converted_after or 0:,}",
            ]
        elif counts.entered is not None:
            numbers = [carts(counts.entered)]
        suffix = f": {', '.join(numbers)}" if numbers else ""
        lines.append(f"{indent}{node.label}{suffix}")
        for branch in node.children:
            lines.append(f"{indent}  {branch.label}")
            lines += _step_lines(branch.steps, indent + "    ")
    return lines
