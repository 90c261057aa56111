"""Bahasa Indonesia first: the locale of a request, and filters for dates and numbers.

The locale is the one the person chose (session, then a long-lived cookie, so it survives
signing out), else Indonesian. Times are shown in the policy's time zone with its Indonesian
abbreviation (WIB, WITA, WIT), as the agency reads its clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date, format_datetime
from flask import Flask, request, session
from flask_babel import Babel, format_decimal, get_locale

from lms_bridge.credit import current_policy

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
LANGUAGE_COOKIE = "lang"
TRANSLATIONS = Path(__file__).parent / "translations"
ZONE_NAMES = {7: "WIB", 8: "WITA", 9: "WIT"}
TIME_PATTERNS = {"id": "d MMM y HH.mm", "en": "d MMM y HH:mm"}
"""Indonesian writes the time with a full stop (09.05), as PUEBI says."""
"""Indonesia's three zones by UTC offset (hours)."""


def selected_locale() -> str:
    """The person's choice (session, cookie), else Indonesian."""
    for chosen in (session.get(LANGUAGE_COOKIE), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LOCALES:
            return str(chosen)
    return DEFAULT_LOCALE


def zone_abbreviation(moment: datetime) -> str:
    """WIB / WITA / WIT for Indonesia's offsets, else the zone's own name."""
    offset = moment.utcoffset() or timedelta(0)
    hours = offset.total_seconds() / 3600
    if hours.is_integer() and int(hours) in ZONE_NAMES:
        return ZONE_NAMES[int(hours)]
    return moment.tzname() or "UTC"


def local_datetime(value: datetime | None) -> str:
    """An instant in the policy's time zone: ``4 Des 2026 09.05 WIB``."""
    if value is None:
        return ""
    local = value.astimezone(current_policy().time_zone)
    locale = str(get_locale())
    pattern = TIME_PATTERNS.get(locale, TIME_PATTERNS[DEFAULT_LOCALE])
    text = format_datetime(local, pattern, locale=locale)
    return f"{text} {zone_abbreviation(local)}"


def local_date(value: date | datetime | None) -> str:
    """A day as the person reads it (``4 Des 2026``); instants are taken in the policy's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(current_policy().time_zone).date()
    return format_date(value, "d MMM y", locale=str(get_locale()))


def decimal_number(value: Decimal | float | int | None) -> str:
    """A number in the person's locale: ``1.234,5`` in Indonesian, ``1,234.5`` in English."""
    if value is None:
        return ""
    return str(format_decimal(value))


def number_formatter() -> Callable[[Decimal | float | int | None], str]:
    """:func:`decimal_number` for one page, remembering each value it formatted.

    A cohort's matrix formats thousands of scores and JP drawn from a few dozen values;
    Babel's formatter costs ~0.1 ms a call, so each distinct value is formatted once.
    """
    known: dict[Decimal | float | int, str] = {}

    def formatted(value: Decimal | float | int | None) -> str:
        if value is None:
            return ""
        text = known.get(value)
        if text is None:
            text = known[value] = decimal_number(value)
        return text

    return formatted


def init_i18n(app: Flask) -> None:
    """Flask-Babel with the pages' catalogs, and the filters templates use."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(
        app,
        locale_selector=selected_locale,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(decimal_number, "decimal")
