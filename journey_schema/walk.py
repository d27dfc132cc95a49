"""Every step of a journey with its path (`steps[2].else[0]`), depth first, in file order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from journey_schema.models import BranchStep, SendStep, Step, WaitForStep


def walk_steps(steps: Sequence[Step], prefix: str = "steps") -> Iterator[tuple[str, Step]]:
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        yield path, step
        if isinstance(step, WaitForStep | BranchStep):
            yield from walk_steps(step.then, f"{path}.then")
            yield from walk_steps(step.else_, f"{path}.else")


def send_steps(steps: Sequence[Step]) -> Iterator[tuple[str, SendStep]]:
    for path, step in walk_steps(steps):
        if isinstance(step, SendStep):
            yield path, step
