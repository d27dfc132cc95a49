"""Deciding an experiment: by its rule (`decide:` in the split) or by a person.

The rule records a winner once all of these hold:
- every arm has at least `min_carts` carts (that entered before any decision);
- the sample-ratio check passes: assignment is not broken;
- the best arm on the rule's metric is ahead of every other arm, each comparison's
  always-valid p-value below 5% divided by the number of other arms (Bonferroni: with
  two arms, the 95% interval excludes no difference). Always-valid p-values stay valid
  when checked after every cart, so the rule may look as often as it likes.

From then on, new carts reaching the split take the winner; carts past it keep the arm
they took. The workflow learns it at the split through an activity, so replays do not
change. `stop` ends an experiment without a winner: new carts take the control (the
first arm).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.models import DecideRule, Metric, SplitSpec
from journey_schema.release import Release, from_content
from journey_schema.suggestions import did_you_mean
from journey_schema.walk import splits
from reports.journey_report import ArmFigures, experiment_result, measured_holdout
from reports.model import DecisionAction, ExperimentResult, GroupResult
from storage import decisions, releases
from storage import reports as queries
from storage.decisions import StoredDecision
from storage.reports import ReportScope

RULE = "rule"  # `decided_by` of a decision the rule made
ALPHA = 0.05  # the rule's false-winner rate, shared among the comparisons it makes


@dataclass(frozen=True)
class Verdict:
    arm: str
    reason: str


def rule_verdict(result: ExperimentResult, rule: DecideRule) -> Verdict | None:
    """The winner the rule picks from the experiment's figures now, if the numbers are clear."""
    if result.sample_ratio.mismatch:
        return None
    if any(arm.measured_carts < rule.min_carts for arm in result.arms):
        return None
    best = max(result.arms, key=lambda arm: _estimate(arm, rule.metric))
    lifts = best.conversion_lifts if rule.metric == Metric.CONVERSION else best.revenue_lifts
    over_arms = [lift for lift in lifts if lift.versus.startswith("arm ")]
    # Each comparison at 5% / (arms - 1), Bonferroni: with three or more arms, the chance
    # that some arm looks best by luck grows with their number.
    threshold = ALPHA / max(1, len(over_arms))
    ahead = [lift.p_value < threshold and lift.absolute.estimate > 0 for lift in over_arms]
    if not over_arms or not all(ahead):
        return None
    metric = "conversion" if rule.metric == Metric.CONVERSION else "revenue per cart"
    worst = max(over_arms, key=lambda lift: lift.p_value)
    return Verdict(
        arm=best.name,
        reason=f"{best.name} is ahead on {metric} of every other arm (always-valid 95% "
        f"interval; largest p = {worst.p_value:.4f}), each arm has at least "
        f"{rule.min_carts:,} carts and the sample-ratio check passed",
    )


def _numbers(result: ExperimentResult) -> dict[str, Any]:
    """The figures as JSON the database takes: an unbounded interval's end is null."""
    numbers: dict[str, Any] = json.loads(result.model_dump_json())
    return numbers


def _estimate(arm: GroupResult, metric: Metric) -> float:
    rate = arm.conversion_rate if metric == Metric.CONVERSION else arm.revenue_per_cart
    return rate.estimate


async def figures_now(
    session: AsyncSession, release: Release, path: str, split: SplitSpec, now: datetime
) -> ExperimentResult:
    """The experiment's figures over every cart of the release, in its main currency."""
    base = ReportScope(release.journey, None, None, now, release_id=release.id)
    scope, _ = await queries.in_main_currency(session, base)
    customers = await queries.customers_by_group(session, scope)
    arms = ArmFigures.of(
        await queries.totals_by_arm(session, scope), release.id, split.experiment, customers
    )
    held = measured_holdout(await queries.totals_by_release(session, scope), release.id)
    decision = await decisions.decision_for(
        session, release_id=release.id, experiment=split.experiment
    )
    return experiment_result(release, path, split, arms, held=held, decision=decision)


class RuleDecider:
    """Applies experiments' decision rules when carts reach their splits, at most once a
    minute per experiment (the figures do not move faster than that matters)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._sessions = session_factory
        self._every = every.total_seconds()
        self._checked: dict[tuple[str, str], float] = {}

    async def decide_if_clear(
        self, release: Release, split: SplitSpec, now: datetime
    ) -> StoredDecision | None:
        if split.decide is None:
            return None
        key = (release.id, split.experiment)
        last = self._checked.get(key)
        if last is not None and time.monotonic() - last < self._every:
            return None
        self._checked[key] = time.monotonic()
        path = next(p for p, s in splits(release.definition.steps) if s == split)
        async with self._sessions() as session:
            result = await figures_now(session, release, path, split, now)
            verdict = rule_verdict(result, split.decide)
            if verdict is None:
                return None
            decided = await decisions.record_decision(
                session,
                StoredDecision(
                    journey=release.journey,
                    release_id=release.id,
                    experiment=split.experiment,
                    action=DecisionAction.DECIDED,
                    arm=verdict.arm,
                    decided_by=RULE,
                    reason=verdict.reason,
                    numbers=_numbers(result),
                    decided_at=datetime.now(UTC),
                ),
            )
            await session.commit()
        return decided


class DecisionRefused(Exception):
    """A decision by hand that can not be made, said in words."""


async def decide_by_hand(
    session: AsyncSession,
    *,
    journey: str,
    experiment: str,
    arm: str | None,
    version: int | None,
    by: str,
    now: datetime | None = None,
) -> list[StoredDecision]:
    """Decide (`arm` the winner) or stop (`arm` None: the control) the experiment in every
    published release of the journey that has it, or only in `version`. The caller commits.

    Raises DecisionRefused naming what is wrong, with a "did you mean" where one is close.
    """
    moment = now or datetime.now(UTC)
    targets = await _releases_with(session, journey, experiment, version)
    recorded = []
    for release, path, split in targets:
        if arm is not None and arm not in split.arms:
            raise DecisionRefused(
                f"{journey} v{release.version}: experiment {experiment} has no arm {arm!r}"
                f"{did_you_mean(arm, split.arms)} (its arms: {', '.join(split.arms)})"
            )
        held = await decisions.decision_for(session, release_id=release.id, experiment=experiment)
        if held is not None:
            raise DecisionRefused(
                f"{journey} v{release.version}: experiment {experiment} was {held.action} "
                f"already ({held.arm}, by {held.decided_by} at {held.decided_at:%Y-%m-%d %H:%M})"
            )
        figures = await figures_now(session, release, path, split, moment)
        chosen = arm if arm is not None else split.control
        action = DecisionAction.DECIDED if arm is not None else DecisionAction.STOPPED
        reason = (
            f"decided by hand: {chosen} wins"
            if arm is not None
            else f"stopped by hand: new carts take the control, {chosen}"
        )
        recorded.append(
            await decisions.record_decision(
                session,
                StoredDecision(
                    journey=journey,
                    release_id=release.id,
                    experiment=experiment,
                    action=action,
                    arm=chosen,
                    decided_by=by,
                    reason=reason,
                    numbers=_numbers(figures),
                    decided_at=moment,
                ),
            )
        )
    return recorded


async def _releases_with(
    session: AsyncSession, journey: str, experiment: str, version: int | None
) -> list[tuple[Release, str, SplitSpec]]:
    published = [from_content(r.content) for r in await releases.releases_of(session)]
    names = sorted({r.journey for r in published})
    if journey not in names:
        raise DecisionRefused(
            f"no published journey {journey!r}{did_you_mean(journey, names)}"
            " (see `cartnudge journeys status`)"
        )
    of_journey = [r for r in published if r.journey == journey]
    if version is not None:
        of_journey = [r for r in of_journey if r.version == version]
        if not of_journey:
            raise DecisionRefused(f"{journey} has no published version {version}")
    found = [
        (release, path, split)
        for release in of_journey
        for path, split in splits(release.definition.steps)
        if split.experiment == experiment
    ]
    if not found:
        experiments = sorted(
            {s.experiment for r in of_journey for _, s in splits(r.definition.steps)}
        )
        known = f" (its experiments: {', '.join(experiments)})" if experiments else ""
        raise DecisionRefused(
            f"{journey} has no experiment {experiment!r}"
            f"{did_you_mean(experiment, experiments)}{known}"
        )
    return found
