"""The layout of one journey folder, and reading its settings file and templates.

journeys/<name>/journey.yaml                    optional: shops, description
journeys/<name>/v<N>.yaml                       one immutable file per version
journeys/<name>/templates/<template>/<lang>.<part>  parts: subject, html, txt (email),
                                                sms, push_title, push
journeys/<name>/templates/_<partial>.html|.txt  shared layouts and partials
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from journey_schema.errors import JourneyError
from journey_schema.schema_errors import pydantic_problems
from journey_schema.yaml_source import YamlProblem, load_yaml
from rendering.message import CHANNEL_PARTS

FOLDER_FILE = "journey.yaml"
TEMPLATES_DIR = "templates"
JOURNEY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
_PARTS = "|".join(part for parts in CHANNEL_PARTS.values() for part in parts)
TEMPLATE_FILE = re.compile(
    rf"^[a-z][a-z0-9_]{{0,63}}/[a-z]{{2,3}}(-[A-Z]{{2}}|-[A-Z][a-z]{{3}})?\.({_PARTS})$"
)


# `active:` chose the live version until releases; an activation does that now.
RETIRED_ACTIVE = (
    "`active:` is no longer read: what new carts get is an activation. Delete the line and "
    "run `cartnudge journeys activate {journey} VERSION` (journeys/README.md, Going live)"
)


class JourneyFolderSettings(BaseModel):
    """`journeys/<name>/journey.yaml`: which shops the journey serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shops: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=[], description="Shops this journey serves instead of the default journey."
    )
    description: str | None = None


def version_files(folder: Path) -> dict[int, Path]:
    return {
        int(match.group(1)): path
        for path in sorted(folder.iterdir())
        if path.is_file() and (match := VERSION_FILE.match(path.name))
    }


def stray_files(folder: Path) -> list[JourneyError]:
    """YAML files next to the versions that the loader would otherwise silently ignore."""
    return [
        JourneyError(path, None, "not a version file: name versions v1.yaml, v2.yaml, ...")
        for path in sorted(folder.iterdir())
        if path.is_file()
        and path.suffix in (".yaml", ".yml")
        and path.name != FOLDER_FILE
        and not VERSION_FILE.match(path.name)
    ]


def read_folder_settings(folder: Path) -> tuple[JourneyFolderSettings, list[JourneyError]]:
    path = folder / FOLDER_FILE
    if not path.is_file():
        return JourneyFolderSettings(), []
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and "active" in data:
            problem = JourneyError(path, "active", RETIRED_ACTIVE.format(journey=folder.name))
            rest = {key: value for key, value in data.items() if key != "active"}
            return JourneyFolderSettings.model_validate(rest), [problem]
        return JourneyFolderSettings.model_validate(data), []
    except YamlProblem as exc:
        return JourneyFolderSettings(), [JourneyError(path, None, str(exc))]
    except UnicodeDecodeError:
        return JourneyFolderSettings(), [JourneyError(path, None, "the file is not UTF-8 text")]
    except ValidationError as exc:
        return JourneyFolderSettings(), pydantic_problems(path, exc)


def read_templates(folder: Path) -> tuple[dict[str, str], list[JourneyError]]:
    """Every template source under `<folder>/templates`, keyed by its path relative to it."""
    root = folder / TEMPLATES_DIR
    templates: dict[str, str] = {}
    problems: list[JourneyError] = []
    if not root.is_dir():
        return templates, problems
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key.split("/")[-1].startswith("."):
            continue  # editor droppings such as .DS_Store or .swp files
        if not (key.startswith("_") or TEMPLATE_FILE.match(key)):
            problems.append(
                JourneyError(
                    path,
                    None,
                    "unexpected file: templates are <template>/<lang>.<part> (email: "
                    ".subject, .html, .txt; sms: .sms; push: .push_title, .push), "
                    "shared partials _<name>.html or _<name>.txt",
                )
            )
            continue
        try:
            templates[key] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(JourneyError(path, None, "the file is not UTF-8 text"))
    return templates, problems
