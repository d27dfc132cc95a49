"""A release: one journey version frozen with every template file it can use (its
messages word for word). Published releases are stored and activated by `releases/`.

Its id is the SHA-256 of its canonical content (the definition and the template sources
as sorted JSON), so the id names the content: two releases with one id are the same
release, and a cart that keeps a release id keeps its messages word for word.

Which template files it holds: journey_schema/templates_used.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from journey_schema.models import JourneyVersion
from journey_schema.templates_used import templates_used


class Release(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="SHA-256 of the canonical content, hex")
    definition: JourneyVersion
    templates: dict[str, str] = Field(
        description="Template path (e.g. 'reminder/en.html') to Jinja2 source."
    )

    @property
    def journey(self) -> str:
        return self.definition.journey

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def short_id(self) -> str:
        """The first 12 characters: what people read in the CLI and the Temporal UI."""
        return self.id[:12]

    def templates_for(self, template: str | None) -> dict[str, str]:
        """The sources one message may need: its own files plus shared partials ('_*')."""
        if template is None:
            return {}
        return {
            path: source
            for path, source in self.templates.items()
            if path.startswith(f"{template}/") or path.startswith("_")
        }

    def content(self) -> dict[str, Any]:
        """What the id is the hash of, and what the database stores."""
        return canonical_content(self.definition, self.templates)


def freeze(definition: JourneyVersion, templates: dict[str, str]) -> Release:
    """The release of `definition` with the template files (of the journey's folder) it uses."""
    used = templates_used(definition, templates)
    return Release(id=release_id(definition, used), definition=definition, templates=used)


def from_content(content: dict[str, Any]) -> Release:
    """A release read back from the database. Its id is the hash of the content exactly as
    stored, never of it read into today's model: a field a later cartnudge adds (with its
    default) must not change the id of a release published before it."""
    definition = JourneyVersion.model_validate(content["definition"])
    templates = dict(content["templates"])
    return Release(id=content_id(content), definition=definition, templates=templates)


def canonical_content(definition: JourneyVersion, templates: dict[str, str]) -> dict[str, Any]:
    return {
        "definition": definition.model_dump(mode="json", by_alias=True),
        "templates": dict(sorted(templates.items())),
    }


def release_id(definition: JourneyVersion, templates: dict[str, str]) -> str:
    return content_id(canonical_content(definition, templates))


def content_id(content: dict[str, Any]) -> str:
    """SHA-256 of the content as sorted JSON: the release id."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
