"""Experiment activities: a cart entering its journey (recorded for reports, held out or
not, its arms assigned) and a cart reaching a split (its arm, or the decided winner).

Both run as local activities and may run again after a crash: what is stored first holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from experiments.assignment import assigned_arm, is_held_out
from journey_schema.clock import attribution_window
from journey_schema.models import SplitSpec
from journey_schema.release import Release
from journey_schema.walk import splits
from releases.source import ReleaseSource
from storage import decisions, entries
from storage.decisions import StoredDecision
from workflows import names
from workflows.payloads import ArmChoice, ArmRequest, EntryDecision, JourneyEntry


class Decider(Protocol):
    async def decide_if_clear(
        self, release: Release, split: SplitSpec, now: datetime
    ) -> StoredDecision | None:
        """Apply the experiment's decision rule; the decision if it records one."""


class ExperimentActivities:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        releases: ReleaseSource,
        decider: Decider | None = None,
    ) -> None:
        self._sessions = session_factory
        self._releases = releases
        self._decider = decider

    @activity.defn(name=names.ENTER_JOURNEY)
    async def enter_journey(self, entry: JourneyEntry) -> EntryDecision:
        """Record the cart's entry; whether it is held out, with its experiment arms."""
        release = await self._releases.release(entry.release_id)
        journey = release.definition
        held_out = is_held_out(journey, shop=entry.shop, customer_id=entry.customer_id)
        async with self._sessions() as session:
            arms: dict[str, entries.Assigned] = {}
            if not held_out:
                for _, split in splits(journey.steps):
                    decided = await decisions.decision_for(
                        session, release_id=release.id, experiment=split.experiment
                    )
                    arm = decided.arm if decided else self._assigned(release, split, entry)
                    arms[split.experiment] = entries.Assigned(arm, decided is not None)
            held_out = await entries.record_entry(
                session,
                entry,
                journey=journey.journey,
                version=journey.version,
                held_out=held_out,
                window=attribution_window(journey),
                arms=arms,
            )
            await session.commit()
        if held_out:
            activity.logger.info("cart %s is in the holdout: nothing is sent", entry.cart_id)
        return EntryDecision(held_out=held_out)

    @activity.defn(name=names.CHOOSE_ARM)
    async def choose_arm(self, request: ArmRequest) -> ArmChoice:
        """The arm the cart takes at the split: the recorded decision, else its own arm."""
        release = await self._releases.release(request.release_id)
        split = next(
            spec for _, spec in splits(release.definition.steps)
            if spec.experiment == request.experiment
        )  # fmt: skip
        async with self._sessions() as session:
            decided = await decisions.decision_for(
                session, release_id=release.id, experiment=split.experiment
            )
        if decided is None and split.decide is not None and self._decider is not None:
            decided = await self._decider.decide_if_clear(release, split, request.reached_at)
        if decided is not None:
            arm, reason = decided.arm, decided.action
        else:
            arm, reason = self._assigned(release, split, request), "assigned"
        async with self._sessions() as session:
            taken = await entries.reach_split(
                session,
                workflow_id=request.workflow_id,
                run_id=request.run_id,
                experiment=split.experiment,
                arm_taken=arm,
                at=request.reached_at,
            )
            await session.commit()
        if taken != arm:  # a retry after a decision: the first answer holds
            arm, reason = taken, "assigned"
        return ArmChoice(arm=arm, reason=reason)

    @staticmethod
    def _assigned(release: Release, split: SplitSpec, cart: JourneyEntry | ArmRequest) -> str:
        return assigned_arm(
            release.journey,
            split,
            shop=cart.shop,
            customer_id=cart.customer_id,
            cart_id=cart.cart_id,
        )
