"""The journey drawn as its tree of steps, each with its counts: what the dashboard shows
beside the journey's numbers."""

from __future__ import annotations

from collections.abc import Sequence

from journey_schema.models import BranchStep, SendStep, SplitStep, Step, WaitForStep, step_kind
from journey_schema.release import Release
from journey_schema.walk import arm_path
from journey_tools.step_diff import describe
from reports.model import StepBranch, StepCounts, StepNode
from storage.reports import SplitReached, StepTotals


def step_tree(
    release: Release, steps: Sequence[StepTotals], reached: Sequence[SplitReached]
) -> list[StepNode]:
    """The release's steps with the counts its carts left behind."""
    sends = {s.step: s for s in steps if s.release_id == release.id}
    at_splits: dict[tuple[str, str], int] = {}
    for row in reached:
        if row.release_id == release.id:
            at_splits[(row.experiment, row.arm)] = row.carts
    return _nodes(release.definition.steps, "steps", sends, at_splits)


def _nodes(
    steps: Sequence[Step],
    prefix: str,
    sends: dict[str, StepTotals],
    at_splits: dict[tuple[str, str], int],
) -> list[StepNode]:
    nodes = []
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        counts = StepCounts()
        children: list[StepBranch] = []
        if isinstance(step, SendStep):
            counts = _send_counts(sends.get(path))
        elif isinstance(step, WaitForStep | BranchStep):
            children = [
                StepBranch(label="then", steps=_nodes(step.then, f"{path}.then", sends, at_splits)),
                StepBranch(
                    label="else", steps=_nodes(step.else_, f"{path}.else", sends, at_splits)
                ),
            ]
        elif isinstance(step, SplitStep):
            split = step.split
            counts = StepCounts(
                entered=sum(at_splits.get((split.experiment, arm), 0) for arm in split.arms)
            )
            children = [
                StepBranch(
                    label=f"arm {arm} ({spec.weight}%): "
                    f"{at_splits.get((split.experiment, arm), 0):,} carts",
                    steps=_nodes(spec.steps, arm_path(path, arm), sends, at_splits),
                )
                for arm, spec in split.arms.items()
            ]
        nodes.append(
            StepNode(
                path=path,
                kind=step_kind(step) or "step",
                label=describe(step),
                counts=counts,
                children=children,
            )
        )
    return nodes


def _send_counts(totals: StepTotals | None) -> StepCounts:
    if totals is None:
        return StepCounts(entered=0, sent=0, delivered=0, opened=0, machine_opened=0, clicked=0,
                          converted_after=0)  # fmt: skip
    return StepCounts(
        entered=totals.entered,
        sent=totals.sent,
        delivered=totals.delivered,
        opened=totals.opened,
        machine_opened=totals.machine_opened,
        clicked=totals.clicked,
        converted_after=totals.converted_after,
    )
