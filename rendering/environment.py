"""The one Jinja2 environment every message renders in, and validation checks with.

Sandboxed (templates are data that marketers edit: no attribute escapes, no mutation),
autoescaped for `.html`, and strict: an undefined variable is an error, never blank text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from rendering.formatting import DateFormat, format_date, format_money


class _SourcesLoader(BaseLoader):
    """Jinja2's DictLoader, except that it reports the template path as the file name.

    Jinja2 then names the template in tracebacks, so an error can say `reminder/en.html
    line 12` instead of `<template>`.
    """

    def __init__(self, templates: dict[str, str]) -> None:
        self.templates = templates

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template not in self.templates:
            raise TemplateNotFound(template)
        source = self.templates[template]
        return source, template, lambda: self.templates.get(template) == source

    def list_templates(self) -> list[str]:
        return sorted(self.templates)


def _money(amount: Decimal | int | float | str, currency: str, locale: str) -> str:
    # A float literal in a template (12.5) goes through str so 0.1 stays 0.1.
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    return format_money(value, currency, locale)


def _date(value: date | datetime, locale: str, format: DateFormat = "medium") -> str:
    return format_date(value, locale, format)


def create_environment(templates: dict[str, str]) -> SandboxedEnvironment:
    """An environment over these template sources (path -> Jinja2 source)."""
    environment = ImmutableSandboxedEnvironment(
        loader=_SourcesLoader(templates),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    filters: dict[str, Any] = {"money": _money, "date": _date}
    environment.filters.update(filters)
    return environment
