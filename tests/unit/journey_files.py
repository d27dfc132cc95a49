"""Build journey folders in tmp_path: each test writes only what it is about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from journey_schema.journey_files import JourneyFiles, read_journeys

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"

LAYOUT = (
    "<html><body>{% block body %}{% endblock %}"
    '{% if unsubscribe_url %}<a href="{{ unsubscribe_url }}">Unsubscribe</a>{% endif %}'
    '{% if open_pixel_url %}<img src="{{ open_pixel_url }}" width="1" height="1" alt="">'
    "{% endif %}</body></html>"
)
# The parts of one message per channel, as `message_files(channels=...)` writes them.
EMAIL, SMS, PUSH = ("subject", "html", "txt"), ("sms",), ("push_title", "push")


def message_files(
    name: str, locale: str = "en", *, channels: tuple[str, ...] = EMAIL, **parts: str | None
) -> dict[str, str]:
    """One template in one locale with the given parts; each part's source can be overridden."""
    defaults = {
        "subject": f"{name} for {{{{ shop }}}}",
        "html": '{% extends "_layout.html" %}{% block body %}'
        "{% for item in items %}<p>{{ item.name }} {{ item.line_total }}</p>{% endfor %}"
        '<a href="{{ checkout_url }}">{{ total }}</a>{% endblock %}',
        "txt": "{{ total }} {{ checkout_url }}\nUnsubscribe: {{ unsubscribe_url }}",
        "sms": "Your cart is waiting: {{ checkout_url }}",
        "push_title": "Your cart",
        "push": "{{ item_count }} items are waiting",
    }
    files = {
        f"{name}/{locale}.{part}": parts.get(part, defaults[part])
        for part in channels
        if part in defaults
    }
    return {path: source for path, source in files.items() if source is not None}


def templates_for(
    *names: str, locales: tuple[str, ...] = ("en",), channels: tuple[str, ...] = EMAIL
) -> dict[str, str]:
    files = {"_layout.html": LAYOUT}
    for name in names:
        for locale in locales:
            files.update(message_files(name, locale, channels=channels))
    return files


def version(name: str = "shop_journey", number: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid version document; override any top-level key."""
    document: dict[str, Any] = {
        "journey": name,
        "version": number,
        "trigger": {"inactivity": "1h"},
        "steps": [
            {"send": {"channel": "email", "template": "reminder", "id": "r1"}},
            {"wait": "1d"},
        ],
    }
    document.update(overrides)
    return document


def write_journey(
    root: Path,
    name: str = "shop_journey",
    *,
    versions: dict[int, dict[str, Any] | str] | None = None,
    folder: dict[str, Any] | None = None,
    templates: dict[str, str] | None = None,
) -> Path:
    """A journey folder: version documents (dicts, or raw YAML text), journey.yaml, templates."""
    journey_dir = root / name
    journey_dir.mkdir(parents=True, exist_ok=True)
    for number, document in (versions if versions is not None else {1: version(name)}).items():
        write_version(journey_dir, number, document)
    if folder is not None:
        (journey_dir / "journey.yaml").write_text(yaml.safe_dump(folder), encoding="utf-8")
    write_templates(journey_dir, templates if templates is not None else templates_for("reminder"))
    return journey_dir


def write_version(journey_dir: Path, number: int, document: dict[str, Any] | str) -> Path:
    path = journey_dir / f"v{number}.yaml"
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def write_templates(journey_dir: Path, templates: dict[str, str]) -> None:
    for relative, source in templates.items():
        path = journey_dir / "templates" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def load(root: Path, **kwargs: Any) -> JourneyFiles:
    return read_journeys(root, **kwargs)


def problems_of(catalog: JourneyFiles) -> list[tuple[str, str | None, str]]:
    """(file name, step, problem) of every problem: what a marketer reads."""
    return [(problem.file.name, problem.step, problem.problem) for problem in catalog.problems]
