"""Render one message in the customer's language, with the parts its channel needs.

Template files are `<template>/<locale>.<part>`; the parts per channel are
email: subject, html, txt; sms: sms; push: push_title, push. The locale is looked up
`tr-TR` -> `tr` -> the journey's default locale. Errors are typed and name the file:

    LookupError
     └── TemplateMissing   no complete set of parts for the template in any locale tried
    ValueError
     └── RenderError       syntax error, undefined variable, sandbox refusal, filter failure
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from rendering.environment import create_environment
from rendering.locales import fallback_chain

PARTS = ("subject", "html", "txt")  # an email's parts
CHANNEL_PARTS: dict[str, tuple[str, ...]] = {
    "email": PARTS,
    "sms": ("sms",),
    "push": ("push_title", "push"),
}
ALL_PARTS = frozenset(part for parts in CHANNEL_PARTS.values() for part in parts)


class TemplateMissing(LookupError):
    """The message's template has no complete set of parts for any locale tried."""


class RenderError(ValueError):
    """A template failed to render; the message names the file (and line when known)."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    html: str
    text: str
    locale: str


@dataclass(frozen=True)
class RenderedParts:
    """The rendered parts of a non-email message, e.g. {"sms": "..."}; text is stripped."""

    parts: dict[str, str]
    locale: str


def template_path(template: str, locale: str, part: str) -> str:
    return f"{template}/{locale}.{part}"


def missing_parts(
    templates: dict[str, str], template: str, locale: str, parts: tuple[str, ...] = PARTS
) -> list[str]:
    """The paths of the `parts` (an email's by default) that `template` lacks in `locale`."""
    paths = (template_path(template, locale, part) for part in parts)
    return [path for path in paths if path not in templates]


def template_locales(
    templates: dict[str, str], template: str, parts: tuple[str, ...] = PARTS
) -> set[str]:
    """The locales that have at least one of `parts` of `template`."""
    prefix = f"{template}/"
    return {
        path[len(prefix) :].rsplit(".", 1)[0]
        for path in templates
        if path.startswith(prefix) and path.rsplit(".", 1)[-1] in parts
    }


def resolve_locale(
    templates: dict[str, str],
    template: str,
    locale: str,
    default_locale: str,
    parts: tuple[str, ...] = PARTS,
) -> str:
    """The first locale in the fallback chain that has this template; TemplateMissing if none."""
    available = template_locales(templates, template, parts)
    chain = fallback_chain(locale, default_locale)
    for candidate in chain:
        if candidate in available:
            missing = missing_parts(templates, template, candidate, parts)
            if missing:
                # Half a translation is a mistake to report, not a reason to switch language.
                raise TemplateMissing(f"template {template!r} is missing {', '.join(missing)}")
            return candidate
    raise TemplateMissing(
        f"template {template!r} does not exist for any of the locales {', '.join(chain)}"
    )


def render_message(
    *,
    templates: dict[str, str],
    template: str,
    locale: str,
    default_locale: str,
    context: dict[str, Any],
    environment: SandboxedEnvironment | None = None,
) -> RenderedMessage:
    """Render the subject, HTML and text of `template` (pass `environment` to reuse one)."""
    chosen = resolve_locale(templates, template, locale, default_locale)
    environment = environment or create_environment(templates)
    subject, html, text = (
        render_file(environment, template_path(template, chosen, part), context) for part in PARTS
    )
    subject = " ".join(subject.split())  # one line, whatever the template's whitespace
    if not subject:
        raise RenderError(f"{template_path(template, chosen, 'subject')}: the subject is empty")
    return RenderedMessage(subject=subject, html=html, text=text, locale=chosen)


def render_parts(
    *,
    channel: str,
    templates: dict[str, str],
    template: str,
    locale: str,
    default_locale: str,
    context: dict[str, Any],
    environment: SandboxedEnvironment | None = None,
) -> RenderedParts:
    """Render the parts a non-email channel needs (sms, push), whitespace-trimmed."""
    parts = CHANNEL_PARTS[channel]
    chosen = resolve_locale(templates, template, locale, default_locale, parts)
    environment = environment or create_environment(templates)
    rendered = {
        part: render_file(environment, template_path(template, chosen, part), context).strip()
        for part in parts
    }
    for part, text in rendered.items():
        if not text:
            raise RenderError(f"{template_path(template, chosen, part)}: renders empty")
    return RenderedParts(parts=rendered, locale=chosen)


def render_file(environment: SandboxedEnvironment, path: str, context: dict[str, Any]) -> str:
    """Render one template file, turning every failure into a RenderError naming the file."""
    try:
        return environment.get_template(path).render(context)
    except TemplateSyntaxError as exc:
        where = exc.name or exc.filename or path
        raise RenderError(f"{where} line {exc.lineno}: syntax error: {exc.message}") from exc
    except SecurityError as exc:
        raise RenderError(f"{_where(exc, path)}: not allowed in a template: {exc}") from exc
    except UndefinedError as exc:
        raise RenderError(f"{_where(exc, path)}: undefined: {exc.message}") from exc
    except TemplateError as exc:
        raise RenderError(f"{_where(exc, path)}: {exc}") from exc
    except Exception as exc:  # a filter or a test failed on this data; the file is the news
        raise RenderError(f"{_where(exc, path)}: {type(exc).__name__}: {exc}") from exc


def _where(exc: BaseException, path: str) -> str:
    """`reminder/en.html line 12`: the innermost template frame of the traceback.

    Jinja2 rewrites tracebacks so template frames carry the template's path and line.
    """
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename and not frame.filename.endswith(".py")
    ]
    if not frames:
        return path
    return f"{frames[-1].filename} line {frames[-1].lineno}"
