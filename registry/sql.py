"""Generic SQL helpers any feature may use (no feature's rules: those live in their packages).
Each renders for both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

T = TypeVar("T")
# Values per IN (...) list: well under SQLite's bound-parameter limit (32,766; 999 before 3.32).
IN_LIST = 1000


def in_chunks(values: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size`, one IN (...) list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern written with `escape="\\\\"`: its %, _ and
    backslashes escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(expression: Any, text: str) -> sa.ColumnElement[bool]:
    """`expression` holds `text` literally: a LIKE with the text's wildcards escaped. Case is as
    given: lower both sides for a case-insensitive match."""
    return expression.like(f"%{escape_like(text)}%", escape="\\")


class days_between(FunctionElement[float]):
    """Whole days from the second date to the first: date subtraction on PostgreSQL, julianday
    differences on SQLite (which stores dates as ISO text)."""

    type = sa.Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


class CreateTempTableAs(sa.sql.expression.Executable, sa.sql.expression.ClauseElement):
    """CREATE TEMPORARY TABLE name AS select: the same statement on SQLite and PostgreSQL."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select[Any]) -> None:
        self.name = name
        self.select = select


@compiles(CreateTempTableAs)
def _create_temp_table_as(element: CreateTempTableAs, compiler: Any, **kw: Any) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.select, **kw)}"


def fresh_table(db: Session, table: sa.Table) -> None:
    """Create a temporary table on the session's connection, replacing one an earlier run in
    the same connection left."""
    connection = db.connection()
    table.drop(connection, checkfirst=True)
    table.create(connection)
