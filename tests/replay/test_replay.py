"""Stored histories of real journeys must replay against the current workflow code.

A change to the interpreter that is not behind `workflow.patched(...)` fails here before it
can break carts already on their way. `histories/<version>/` holds the histories of each
released version, kept for good: carts started by that release may still be running.
`histories/next/` holds those of the code since (`make record-histories` writes there; a
release renames it to its version).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from temporal_payloads.converter import data_converter
from tests.support.temporal import settings_for_tests
from worker import WORKFLOWS

STORED = Path(__file__).parent / "histories"
HISTORIES = sorted(STORED.glob("*/*.json"))
RELEASES = ("v0.1.0",)  # every tagged release whose histories must keep replaying


def test_the_histories_of_every_release_are_kept() -> None:
    for release in RELEASES:
        assert sorted((STORED / release).glob("*.json")), f"histories of {release} are gone"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_stored_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    # The stored histories were recorded in plaintext: the codec passes them through.
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter(settings_for_tests()))
    await replayer.replay_workflow(history)
