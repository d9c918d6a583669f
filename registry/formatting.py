"""Numbers, money, dates and scores written the same way everywhere: on the pages (the Jinja
filters in registry/templating.py), in the detectors' evidence and in the search's sentences."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal


def format_date(value: datetime.date | None, fmt: str = "%-d %B %Y") -> str:
    return value.strftime(fmt) if value else "—"


def format_datetime(value: datetime.datetime | None) -> str:
    return value.strftime("%-d %B %Y %H:%M UTC") if value else "—"


def format_money(value: Decimal | float | int | None, currency: str | None = "GBP") -> str:
    if value is None:
        return "not stated"
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency or "", "")
    text = f"{value:,.0f}" if abs(Decimal(value)) >= 1000 else f"{value:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency or ''}".strip()


def format_number(value: float | int | Decimal | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


def format_score(value: float | Decimal | None) -> str:
    """A score as every page shows it, the chart's text and the tables alike: one decimal
    place, halves rounded up, from the stored two-decimal value (91.65 is 91.7 everywhere)."""
    if value is None:
        return "—"
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def format_percent(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"
