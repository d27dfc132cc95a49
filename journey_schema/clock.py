"""How long a cart can stay in a journey: the window in which its purchase counts.

Reports count a cart as converted when an order for it arrives within this long after
abandonment, in every group alike (experiment arms and the holdout), so no group's
window depends on what it was sent. It is the longest path through the steps (every
wait, every `wait_for` timing out, the slowest arm of every split) plus the conversion
window: no cart's journey clock runs longer. Deferrals (quiet hours, frequency caps) are
not counted: they move a message, not the measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from journey_schema.models import (
    BranchStep,
    JourneyVersion,
    SplitStep,
    Step,
    WaitForStep,
    WaitStep,
)


def attribution_window(journey: JourneyVersion) -> timedelta:
    """The longest journey clock plus the conversion window."""
    return longest_path(journey.steps) + journey.conversion_window


def longest_path(steps: Sequence[Step]) -> timedelta:
    total = timedelta(0)
    for step in steps:
        if isinstance(step, WaitStep):
            total += step.wait
        elif isinstance(step, WaitForStep):
            total += step.wait_for.within + max(longest_path(step.then), longest_path(step.else_))
        elif isinstance(step, BranchStep):
            total += max(longest_path(step.then), longest_path(step.else_))
        elif isinstance(step, SplitStep):
            total += max(longest_path(arm.steps) for arm in step.split.arms.values())
    return total
