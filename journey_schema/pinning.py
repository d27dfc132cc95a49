"""Freeze a journey version with exactly the template sources its messages use.

The pinned journey travels into the cart's workflow as data, so editing or adding files
later never changes a cart already on its way.
"""

from __future__ import annotations

import hashlib
import json

from journey_schema.models import JourneyVersion, PinnedJourney
from journey_schema.walk import send_steps


def templates_used(definition: JourneyVersion, templates: dict[str, str]) -> dict[str, str]:
    """The files of every template a send step names, plus the shared partials (`_*`)."""
    names = {step.send.template for _, step in send_steps(definition.steps)}
    return {
        path: source
        for path, source in sorted(templates.items())
        if path.split("/", 1)[0] in names or path.startswith("_")
    }


def pin(definition: JourneyVersion, templates: dict[str, str]) -> PinnedJourney:
    used = templates_used(definition, templates)
    content = json.dumps(
        {"definition": definition.model_dump(mode="json", by_alias=True), "templates": used},
        sort_keys=True,
        ensure_ascii=False,
    )
    return PinnedJourney(
        definition=definition,
        templates=used,
        content_hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
    )
