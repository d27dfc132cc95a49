"""The one Jinja2 environment every message renders in, and validation checks with.

Sandboxed (templates are data that marketers edit: no attribute escapes, no mutation),
autoescaped for `.html`, and strict: an undefined variable is an error, never blank text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from rendering.formatting import DateFormat, format_date, format_money


class _NamedDictLoader(DictLoader):
    """A DictLoader that reports the template path as its file name, so errors say where."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, _, uptodate = super().get_source(environment, template)
        return source, template, uptodate


def _money(amount: Decimal | int | str, currency: str, locale: str) -> str:
    return format_money(Decimal(amount), currency, locale)


def _date(value: date | datetime, locale: str, format: DateFormat = "medium") -> str:
    return format_date(value, locale, format)


def create_environment(templates: dict[str, str]) -> SandboxedEnvironment:
    """An environment over these template sources (path -> Jinja2 source)."""
    environment = ImmutableSandboxedEnvironment(
        loader=_NamedDictLoader(templates),
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
