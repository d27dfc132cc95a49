"""Locale spellings and the fallback chain templates are looked up with.

Shops send `tr-TR`, `tr_TR` or `tr`; template files are named `tr.html` or `pt-BR.html`.
Stdlib only: the workflow sandbox imports this through the expression language.
"""

from __future__ import annotations


def normalize_locale(locale: str) -> str:
    """`tr_tr` -> `tr-TR`, `EN` -> `en`: language lower case, region upper case."""
    parts = locale.strip().replace("_", "-").split("-")
    language = parts[0].lower()
    if len(parts) == 1 or not parts[1]:
        return language
    region = parts[1]
    # Two letters are a region (TR); four are a script (Latn), written title case.
    region = region.upper() if len(region) == 2 else region.title()
    return f"{language}-{region}"


def language_of(locale: str) -> str:
    return normalize_locale(locale).split("-")[0]


def fallback_chain(locale: str, default_locale: str) -> list[str]:
    """Where to look for a template: `tr-TR` -> `tr` -> default (`en-GB` -> `en`)."""
    chain: list[str] = []
    for candidate in (locale, default_locale):
        for spelling in (normalize_locale(candidate), language_of(candidate)):
            if spelling and spelling not in chain:
                chain.append(spelling)
    return chain
