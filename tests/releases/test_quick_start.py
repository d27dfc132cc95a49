"""`make run`'s journeys: the highest version this deployment can send goes live, never one
that runs an experiment (a person starts those)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.providers import Capabilities
from releases.quick_start import publish_and_activate
from storage import activations
from tests.unit.journey_files import version, write_journey
from workflows.payloads import Channel

EMAIL_ONLY = Capabilities(channels=frozenset({Channel.EMAIL}), webhook_targets=frozenset())
SPLIT = {
    "split": {
        "experiment": "first_wait",
        "arms": {"fast": {"weight": 50, "steps": []}, "slow": {"weight": 50, "steps": []}},
    }
}


async def test_versions_with_a_split_or_a_holdout_are_passed_over(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    write_journey(
        tmp_path,
        versions={
            1: version(),
            2: version(number=2, holdout="10%"),
            3: version(number=3, steps=[SPLIT, *version()["steps"]]),
        },
    )

    lines = await publish_and_activate(session_factory, tmp_path, capabilities=EMAIL_ONLY)

    assert lines == [
        "shop_journey v1 activated; "
        "v3 runs an experiment: only `cartnudge journeys activate shop_journey 3` starts it; "
        "v2 runs an experiment: only `cartnudge journeys activate shop_journey 2` starts it"
    ]
    async with session_factory() as session:
        live = await activations.live_activation(session, "shop_journey", None)
    assert live is not None
    assert [share["version"] for share in live.split] == [1]
