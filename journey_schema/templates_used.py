"""Which template files a journey version uses: what its release freezes.

A message uses the parts of every channel in its preference list (an SMS-or-email nudge
uses `nudge/*.sms` and the email parts), configured or not: a cart may outlive the
configuration it started under. Parts no step of the version uses are left out, so adding
`nudge/en.sms` for a new version changes no older release. Shared files (`_layout.html`,
...) are kept when a used file includes, extends or imports them, directly or through
another shared file; so adding `_footer.html` for a new version changes no older release
either. A template that names a shared file only at render time (`{% include name %}`)
keeps them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import Environment, TemplateSyntaxError, meta

from journey_schema.models import JourneyVersion
from journey_schema.walk import send_steps
from rendering.message import CHANNEL_PARTS
from workflows.payloads import Channel

# Parsing only, never rendering: the sandbox that renders lives in rendering/.
_PARSER = Environment()


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
    used = {
        path: source
        for path, source in templates.items()
        if not path.startswith("_") and _part_of(path) in needed.get(path.split("/", 1)[0], ())
    }
    shared = {path: source for path, source in templates.items() if path.startswith("_")}
    return dict(sorted({**used, **_shared_files_reached(used, shared)}.items()))


def _shared_files_reached(used: dict[str, str], shared: dict[str, str]) -> dict[str, str]:
    reached: dict[str, str] = {}
    pending = list(used.values())
    while pending:
        names = _referenced(pending.pop())
        if names is None:
            return shared  # a name known only when rendering: any of them may be used
        for name in names:
            if name in shared and name not in reached:
                reached[name] = shared[name]
                pending.append(shared[name])
    return reached


def _referenced(source: str) -> set[str] | None:
    """The files a template includes, extends or imports; None if one is not a literal."""
    try:
        names = list(meta.find_referenced_templates(_PARSER.parse(source)))
    except TemplateSyntaxError:
        return set()  # validation reports it; a release is only made of valid versions
    return None if None in names else {name for name in names if name is not None}


def _part_of(path: str) -> str:
    return path.rsplit(".", 1)[-1]
