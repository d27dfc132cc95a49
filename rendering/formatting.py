"""Money and dates the way the customer's locale writes them (babel / CLDR).

format_money(Decimal("1299.90"), "TRY", "tr-TR")  -> "₺1.299,90"
format_money(Decimal("1299.90"), "TRY", "en")     -> "TRY 1,299.90"
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency
from babel.numbers import format_percent as babel_format_percent

from rendering.locales import language_of, normalize_locale

FALLBACK_LOCALE = "en"
_CODE_THEN_DIGIT = re.compile(r"^([A-Z]{3})(\d)")

DateFormat = Literal["short", "medium", "long", "full"]


@lru_cache(maxsize=64)
def babel_locale(locale: str) -> Locale:
    """`tr-TR`, `tr_TR` or `tr` as a babel Locale; unknown: its language, then English."""
    for candidate in (normalize_locale(locale), language_of(locale), FALLBACK_LOCALE):
        try:
            return Locale.parse(candidate.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    text: str = format_currency(amount, currency, locale=babel_locale(locale))
    # CLDR glues an ISO code to the number ("TRY1,299.90"); a no-break space reads better.
    return _CODE_THEN_DIGIT.sub("\\1\u00a0\\2", text)


def format_date(value: date | datetime, locale: str, format: DateFormat = "medium") -> str:
    """A date (or the date and time of a datetime) in the customer's locale."""
    if isinstance(value, datetime):
        return str(babel_format_datetime(value, format=format, locale=babel_locale(locale)))
    return str(babel_format_date(value, format=format, locale=babel_locale(locale)))


def format_percent(percent: Decimal, locale: str) -> str:
    """10 -> "10%" in English, "%10" in Turkish."""
    return str(babel_format_percent(percent / 100, locale=babel_locale(locale)))


def format_day_and_time(value: datetime, locale: str) -> str:
    """The date and the hour and minute, no seconds: "3 Ara 2026 19:28", "Dec 3, 2026 7:28 PM"."""
    where = babel_locale(locale)
    day = format_skeleton("yMMMd", value, locale=where)
    # "short" time follows the locale's clock: 19:28 in Turkish, 7:28 PM in US English
    return f"{day} {babel_format_time(value, 'short', locale=where)}"
