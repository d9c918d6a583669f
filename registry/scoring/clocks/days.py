"""Portable day arithmetic for the assessment clocks: dates as day numbers (date.toordinal) in
SQL, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# julianday('0001-01-01') is 1721425.5 and date(1, 1, 1).toordinal() is 1.
_JULIAN_OFFSET = "1721424.5"


class day_number(FunctionElement[int]):
    """A date (or a UTC timestamp) as its day number, date.toordinal()."""

    type, name, inherit_cache = sa.Integer(), "day_number", True


@compiles(day_number)
def _day_number_pg(element: day_number, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    text = compiler.process(value, **kw)
    if isinstance(value.type, sa.DateTime):
        text = f"({text} AT TIME ZONE 'UTC')"
    return f"(CAST({text} AS DATE) - DATE '0001-01-01' + 1)"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"CAST(julianday(date({compiler.process(value, **kw)})) - {_JULIAN_OFFSET} AS INTEGER)"


class day_date(FunctionElement[datetime.date]):
    """A day number back as a date (for the CSV export)."""

    type, name, inherit_cache = sa.Date(), "day_date", True


@compiles(day_date)
def _day_date_pg(element: day_date, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"(DATE '0001-01-01' + CAST({compiler.process(value, **kw)} AS INTEGER) - 1)"


@compiles(day_date, "sqlite")
def _day_date_sqlite(element: day_date, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"date({compiler.process(value, **kw)} + {_JULIAN_OFFSET})"


def least(*values: Any) -> Any:
    """The smallest of values that may be null (null only when all are)."""
    result = values[0]
    for value in values[1:]:
        result = sa.case(
            (result.is_(None), value),
            (value.is_(None), result),
            (value < result, value),
            else_=result,
        )
    return result


def as_date(day: int | None) -> datetime.date | None:
    return datetime.date.fromordinal(day) if day else None
