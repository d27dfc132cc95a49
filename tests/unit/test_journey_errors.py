"""How a journey problem reads, wherever it is shown."""

from __future__ import annotations

import pickle
from pathlib import Path

from journey_schema.errors import JourneyError


def test_a_problem_reads_file_step_problem() -> None:
    error = JourneyError(
        Path("journeys/abandoned_cart/v1.yaml"),
        "steps[2].then[0]",
        "template 'still' does not exist",
    )

    assert str(error) == (
        "journeys/abandoned_cart/v1.yaml: steps[2].then[0]: template 'still' does not exist"
    )


def test_a_problem_of_the_whole_file_has_no_step() -> None:
    error = JourneyError(Path("journeys/demo/journey.yaml"), None, "unknown key 'activ'")

    assert str(error) == "journeys/demo/journey.yaml: unknown key 'activ'"


def test_a_problem_survives_pickling_with_its_fields() -> None:
    error = JourneyError(Path("journeys/x/v1.yaml"), "trigger.inactivity", "malformed duration")

    copy = pickle.loads(pickle.dumps(error))
    assert (copy.file, copy.step, copy.problem) == (error.file, error.step, error.problem)
    assert copy == error
