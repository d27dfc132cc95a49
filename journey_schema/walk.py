"""Every step of a journey with its path (`steps[2].else[0]`, `steps[0].arms.fast[1]`),
depth first, in file order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from journey_schema.models import (
    BranchStep,
    SendSpec,
    SendStep,
    SplitSpec,
    SplitStep,
    Step,
    WaitForStep,
)


def walk_steps(steps: Sequence[Step], prefix: str = "steps") -> Iterator[tuple[str, Step]]:
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        yield path, step
        if isinstance(step, WaitForStep | BranchStep):
            yield from walk_steps(step.then, f"{path}.then")
            yield from walk_steps(step.else_, f"{path}.else")
        elif isinstance(step, SplitStep):
            for arm_name, arm in step.split.arms.items():
                yield from walk_steps(arm.steps, arm_path(path, arm_name))


def arm_path(split_path: str, arm: str) -> str:
    """Where an arm's steps live: `steps[0].arms.fast`."""
    return f"{split_path}.arms.{arm}"


def send_steps(steps: Sequence[Step]) -> Iterator[tuple[str, SendStep]]:
    for path, step in walk_steps(steps):
        if isinstance(step, SendStep):
            yield path, step


def send_at(steps: Sequence[Step], path: str) -> SendSpec | None:
    """The send step at `path` (what a SendRequest's `step` names); None if none is there."""
    for found, step in send_steps(steps):
        if found == path:
            return step.send
    return None


def splits(steps: Sequence[Step]) -> Iterator[tuple[str, SplitSpec]]:
    """Every experiment of a journey with the path of its split step."""
    for path, step in walk_steps(steps):
        if isinstance(step, SplitStep):
            yield path, step.split
