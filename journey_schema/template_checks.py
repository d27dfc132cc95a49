"""A template that is wrong fails validation, never a customer's inbox.

For each template a version sends, in the order the steps use it:

- it exists, with all three parts (subject, html, txt) for the journey's default locale,
  and every other locale it has is complete too;
- every file parses and uses only the names templates are given (`rendering.context`),
  partials (`_*.html`) included;
- every locale renders in the one sandboxed, strict environment, with a full sample cart
  and with a minimal one (no first name, no images, no product links);
- the HTML part carries the open pixel, so `wait_for: {opened: ...}` can ever fire.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from journey_schema.errors import JourneyError
from journey_schema.locales import language_of, normalize_locale
from rendering.context import CONTEXT_NAMES, message_context, sample_cart, sample_links
from rendering.environment import create_environment
from rendering.message import (
    PARTS,
    RenderError,
    TemplateMissing,
    missing_parts,
    render_message,
    template_locales,
    template_path,
)


@dataclass(frozen=True)
class SendUse:
    """A send step (by path) that renders this template."""

    path: str
    template: str


def template_problems(
    file: Path, sends: list[SendUse], default_locale: str, templates: dict[str, str]
) -> list[JourneyError]:
    if not sends:
        return []
    environment = create_environment(templates)
    partial_problems = [
        JourneyError(file, None, text)
        for path in sorted(templates)
        if path.startswith("_")
        for text in _source_problems(environment, path)
    ]
    first_use: dict[str, str] = {}
    for use in sends:
        first_use.setdefault(use.template, use.path)
    problems = list(partial_problems)
    for template, step in first_use.items():
        problems += [
            JourneyError(file, step, text)
            for text in _template_problems(
                environment, templates, template, default_locale, bool(partial_problems)
            )
        ]
    return problems


def _template_problems(
    environment: SandboxedEnvironment,
    templates: dict[str, str],
    template: str,
    default_locale: str,
    partials_broken: bool,
) -> list[str]:
    locales = template_locales(templates, template)
    if not locales:
        return [f"template {template!r} does not exist"]
    problems = []
    default = normalize_locale(default_locale)
    if default not in locales and language_of(default) not in locales:
        language = language_of(default)
        problems.append(
            f"template {template!r} has no {language!r} version, the journey's default "
            f"locale: add {template}/{language}.subject, .html and .txt"
        )
    complete = []
    for locale in sorted(locales):
        missing = missing_parts(templates, template, locale)
        if missing:
            problems.append(f"template {template!r} is missing {', '.join(missing)}")
        else:
            complete.append(locale)
    source_problems = [
        text
        for locale in complete
        for part in PARTS
        for text in _source_problems(environment, template_path(template, locale, part))
    ]
    if source_problems or partials_broken:
        return problems + source_problems  # rendering would only repeat the same causes
    for locale in complete:
        problems += _render_problems(environment, templates, template, locale, default_locale)
    return problems


def _render_problems(
    environment: SandboxedEnvironment,
    templates: dict[str, str],
    template: str,
    locale: str,
    default_locale: str,
) -> list[str]:
    for minimal in (False, True):
        cart = sample_cart(locale, minimal=minimal)
        links = sample_links(cart)
        try:
            rendered = render_message(
                templates=templates,
                template=template,
                locale=locale,
                default_locale=default_locale,
                context=message_context(cart, links),
                environment=environment,
            )
        except (RenderError, TemplateMissing) as exc:
            return [f"template {exc}"]
        if links.open_pixel_url and links.open_pixel_url not in rendered.html:
            return [
                f"template {template_path(template, locale, 'html')} does not include the "
                'open pixel: extend "_layout.html", or add <img src="{{ open_pixel_url }}" '
                'width="1" height="1" alt="">'
            ]
    return []


def _source_problems(environment: SandboxedEnvironment, path: str) -> list[str]:
    """Syntax errors and unknown variables, found without rendering (so in every branch)."""
    source = environment.loader.get_source(environment, path)[0]  # type: ignore[union-attr]
    try:
        tree = environment.parse(source, name=path)
    except TemplateSyntaxError as exc:
        return [f"template {path} line {exc.lineno}: syntax error: {exc.message}"]
    unknown = meta.find_undeclared_variables(tree) - CONTEXT_NAMES - set(environment.globals)
    first_line: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in unknown:
            first_line.setdefault(node.name, node.lineno)
    return [
        f"template {path} line {first_line.get(name, 1)}: unknown variable {name!r}; "
        f"templates can use {', '.join(sorted(CONTEXT_NAMES))}"
        for name in sorted(unknown)
    ]
