"""Which template files a journey version uses: what its release freezes.

A message uses the parts of every channel in its preference list (an SMS-or-email nudge
uses `nudge/*.sms` and the email parts), configured or not: a cart may outlive the
configuration it started under. Parts no step of the version uses are left out, so adding
`nudge/en.sms` for a new version changes no older release. Shared files (`_layout.html`,
...) are all kept: any template may include them.
"""

from __future__ import annotations

from collections.abc import Iterable

from journey_schema.models import JourneyVersion
from journey_schema.walk import send_steps
from rendering.message import CHANNEL_PARTS
from workflows.payloads import Channel


def parts_for_channels(channels: Iterable[Channel]) -> tuple[str, ...]:
    """The template parts (`subject`, `sms`, ...) messages on these channels need, in order."""
    parts: dict[str, None] = {}
    for channel in channels:
        parts.update(dict.fromkeys(CHANNEL_PARTS.get(channel, ())))
    return tuple(parts)


def templates_used(definition: JourneyVersion, templates: dict[str, str]) -> dict[str, str]:
    """The files each send step's channels need of its template, plus shared partials (`_*`)."""
    needed: dict[str, set[str]] = {}  # template -> parts
    for _, step in send_steps(definition.steps):
        if step.send.template is not None:
            parts = needed.setdefault(step.send.template, set())
            parts.update(parts_for_channels(step.send.channels))
    return {
        path: source
        for path, source in sorted(templates.items())
        if path.startswith("_") or _part_of(path) in needed.get(path.split("/", 1)[0], ())
    }


def _part_of(path: str) -> str:
    return path.rsplit(".", 1)[-1]
