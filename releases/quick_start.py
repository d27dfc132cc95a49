"""`make run`'s journeys: publish `journeys/`, and make live what nobody activated yet.

For the local stack, the bench and the tests only: where a journey has no activation, its
highest version this deployment can send is activated, and each line says what was done,
for the banner. In production nothing becomes live without `cartnudge journeys activate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.journey_files import read_for_publishing
from journey_schema.providers import Capabilities
from releases.activation import ActivationRefused, activate
from releases.publishing import Published, publish
from storage import activations

QUICK_START = "make run"  # who activated, in the audit trail


class JourneysRefused(Exception):
    """A shipped or local journey that does not pass: the stack must not start on it."""


async def publish_and_activate(
    sessions: async_sessionmaker[AsyncSession],
    journeys_dir: Path,
    *,
    capabilities: Capabilities,
    refusals_are_fatal: bool = True,
    versions: Mapping[str, int] | None = None,
) -> list[str]:
    """Publish every version in the folder; activate journeys with no activation yet.

    A version that can not be published raises JourneysRefused, after the others are
    published; with `refusals_are_fatal` False it is one of the lines instead (`make run`
    keeps running on what was published before, and says what was not). `versions`: the
    version to activate of a journey instead of its highest (the benches measure
    abandoned_cart v1, not the experiment the shipped v3 runs).
    """
    files = read_for_publishing(journeys_dir, public_url=capabilities.public_url)
    results = await publish(sessions, files, by=QUICK_START)
    refused = [str(result) for result in results if result.state is Published.REFUSED]
    if refused and refusals_are_fatal:
        raise JourneysRefused("\n".join(refused))
    lines = [f"not published: {line}" for line in refused]
    async with sessions() as session:
        for name, folder in sorted(files.journeys.items()):
            if await activations.live_activation(session, name, None) is not None:
                continue
            skipped = []
            chosen = (versions or {}).get(name)
            candidates = [chosen] if chosen is not None else sorted(folder.releases, reverse=True)
            for version in candidates:
                try:
                    await activate(
                        session,
                        journey=name,
                        version=version,
                        shop=None,
                        by=QUICK_START,
                        capabilities=capabilities,
                    )
                except ActivationRefused as refusal:
                    reason = str(refusal).splitlines()[-1].strip().removesuffix(".")
                    skipped.append(f"v{version} can not be: {reason}")
                    continue
                why = f"; {'; '.join(skipped)}" if skipped else ""
                lines.append(f"{name} v{version} activated{why}")
                break
        await session.commit()
    return lines
