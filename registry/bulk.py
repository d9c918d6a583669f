"""Bulk writes of many rows at once, through the driver rather than per-row SQLAlchemy work.

Why: an import writes tens of thousands of rows a batch. SQLAlchemy's executemany prepares each
row's parameters in Python, and psycopg then sends one statement per row, which also fires the
statement-level triggers (search vectors) once per row; a multi-row INSERT ... RETURNING makes
psycopg parse a query with tens of thousands of placeholders. So on PostgreSQL new rows go in
with one COPY per table (their ids taken beforehand from the table's sequence) and changed rows
with one COPY into a temporary table and one UPDATE ... FROM it; SQLite, in-process, takes
multi-row INSERTs of a few hundred rows each, and one executemany of a plain UPDATE. Either way
each value goes through the column type's own bind processor, as SQLAlchemy would, and
Python-side column defaults and onupdates are filled in.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import json
import sqlite3
import weakref
from collections.abc import Callable, Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from registry.changes.version import mark_written

Processor = Callable[[Any], Any] | None
# SQLite: rows a multi-row INSERT takes (measured: 500 as fast as 1,000, both far faster than
# one-row statements).
ROWS_PER_STATEMENT = 500
# Values converted by each column type's processor (kept while the processor is), at most
# MAX_CONVERTED each: the types whose values repeat (and enumerations).
_REPEATING = (datetime.date, bool)
MAX_CONVERTED = 1 << 16
_converted: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _processors(table: sa.Table, names: Sequence[str], dialect: Any) -> list[Processor]:
    return [table.c[name].type._cached_bind_processor(dialect) for name in names]


def _values(
    rows: Sequence[dict[str, Any]],
    given: Sequence[str],
    fixed: dict[str, Sequence[Any]],
    extra: dict[str, Any],
    procs: list[Processor],
) -> list[tuple[Any, ...]]:
    """Each row's values of the `given` columns, then of the `fixed` ones (a value per row),
    then the `extra` ones (one value for all), as the driver takes them.

    Column by column, so each column's processor runs in one comprehension."""
    columns: list[Any] = [[row[name] for row in rows] for name in given]
    columns += fixed.values()
    columns = [_processed(c, process) for c, process in zip(columns, procs, strict=False)]
    for value, process in zip(extra.values(), procs[len(columns) :], strict=True):
        value = value if process is None or value is None else process(value)
        columns.append([value] * len(rows))
    return list(zip(*columns, strict=True))


def _processed(column: Sequence[Any], process: Processor) -> Sequence[Any]:
    if process is None:
        return column
    sample = next((v for v in column if v is not None), None)
    if type(sample) in _REPEATING or isinstance(sample, enum.Enum):
        # Days and choices repeat, within a batch and across an import's batches (awards',
        # starts' and ends' days, every row's publication): each is converted once. Not
        # times: equal times in two zones may be written apart.
        done = _converted.get(process)
        if done is None or len(done) > MAX_CONVERTED:
            done = _converted[process] = {None: None}
        for value in set(column).difference(done):
            done[value] = process(value)
        return [done[v] for v in column]
    return [None if v is None else process(v) for v in column]


def _defaults(table: sa.Table, given: set[str], *, update: bool = False) -> dict[str, Any]:
    """The Python-side defaults (onupdates, for an update) of the columns the rows leave out:
    one value for the whole batch."""
    filled: dict[str, Any] = {}
    for column in table.columns:
        default = column.onupdate if update else column.default
        if column.name in given or default is None:
            continue
        arg = default.arg  # type: ignore[attr-defined]
        if default.is_callable:
            filled[column.name] = arg(None)
        elif default.is_scalar:
            filled[column.name] = arg
    return filled


def _quote(db: Session, name: str) -> str:
    return db.get_bind().dialect.identifier_preparer.quote(name)


def _copy(connection: sa.Connection, statement: str, values: list[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY FROM STDIN, through psycopg, on the session's own connection."""
    mark_written(connection)  # SQLAlchemy never sees this statement: the data version must move
    driver: Any = connection.connection.dbapi_connection  # a psycopg Connection
    cursor = driver.cursor()
    with cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def next_ids(db: Session, table: sa.Table, count: int, column: str = "id") -> list[int]:
    """`count` ids for rows about to be inserted, in increasing order.

    PostgreSQL: taken from the column's sequence. SQLite: after the largest id, which is safe
    because the writer holds SQLite's one write lock until it commits."""
    if count <= 0:
        return []
    if db.get_bind().dialect.name == "postgresql":
        # Through the driver: tens of thousands of one-column rows are the cost otherwise. The
        # sequence is looked up once (a CTE): named in nextval's argument, the lookup ran for
        # every id, nine tenths of the server's work here.
        sequence = f"pg_get_serial_sequence('{table.name}', '{column}')::regclass"
        cursor = db.connection().exec_driver_sql(
            f"WITH s AS MATERIALIZED (SELECT {sequence} AS id) "
            f"SELECT nextval(s.id) FROM s, generate_series(1, {int(count)})"
        )
        return sorted(id_ for (id_,) in cursor.fetchall())
    last = db.execute(sa.select(sa.func.max(table.c[column]))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


def among(db: Session, column: Any, values: Collection[Any]) -> sa.ColumnElement[bool]:
    """`column IN values`, one parameter however many values: on PostgreSQL `= ANY(array)`, on
    SQLite `IN (SELECT value FROM json_each(list))`. An IN list of thousands makes the driver
    parse a query with as many placeholders, and SQLAlchemy write one for each, every batch."""
    if db.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(list(values))))
    return column.in_(sa.select(sa.column("value")).select_from(listed))


def insert_rows(db: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows (all with the same keys): one COPY (PostgreSQL), or INSERTs of many rows
    each (SQLite)."""
    _insert(db, table, rows, {})


def _insert(
    db: Session,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    fixed: dict[str, Sequence[Any]],
) -> None:
    """Insert the rows, with the `fixed` columns' values (one per row) in place of their own."""
    if not rows:
        return
    given = [name for name in rows[0] if name not in fixed]
    extra = _defaults(table, {*given, *fixed})
    names = [*given, *fixed, *extra]
    db.flush()  # the session's own pending changes first, as its execute would
    connection = db.connection()
    dialect = connection.dialect
    values = _values(rows, given, fixed, extra, _processors(table, names, dialect))
    columns = ", ".join(_quote(db, n) for n in names)
    if dialect.name == "postgresql":
        _copy(connection, f"COPY {_quote(db, table.name)} ({columns}) FROM STDIN", values)
        return
    # Many rows per statement: each execution of a statement on a table with a trigger costs
    # SQLite more than its rows do (an executemany of one-row inserts took twice as long).
    head = f"INSERT INTO {_quote(db, table.name)} ({columns}) VALUES "
    row_marks = f"({', '.join('?' for _ in names)})"
    per = _rows_per_statement(connection, len(names))
    for start in range(0, len(values), per):
        part = values[start : start + per]
        connection.exec_driver_sql(
            head + ", ".join([row_marks] * len(part)), tuple(itertools.chain.from_iterable(part))
        )


def _rows_per_statement(connection: sa.Connection, columns: int) -> int:
    """How many rows one SQLite INSERT takes: ROWS_PER_STATEMENT, or fewer should their values
    pass the number of parameters a statement may have."""
    driver: Any = connection.connection.dbapi_connection  # a sqlite3 Connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_PER_STATEMENT, limit // max(columns, 1)))


def insert_with_ids(
    db: Session, table: sa.Table, rows: Sequence[dict[str, Any]], column: str = "id"
) -> list[int]:
    """Insert the rows with ids given here (not the rows' own); their ids, in order."""
    ids = next_ids(db, table, len(rows), column)
    _insert(db, table, rows, {column: ids})
    return ids


def update_rows(
    db: Session, table: sa.Table, rows: Sequence[dict[str, Any]], key: str = "id"
) -> None:
    """Set each row's columns (all rows with the same keys) on the record whose `key` it holds:
    one statement for them all (PostgreSQL: UPDATE ... FROM a temporary table filled by COPY),
    so statement-level triggers fire once."""
    if not rows:
        return
    given = [n for n in rows[0] if n != key]
    extra = _defaults(table, {*given, key}, update=True)
    names = [key, *given, *extra]
    db.flush()  # the session's own pending changes first, as its execute would
    connection = db.connection()
    dialect = connection.dialect
    values = _values(rows, [key, *given], {}, extra, _processors(table, names, dialect))
    target = _quote(db, table.name)
    if dialect.name == "postgresql":
        columns = ", ".join(_quote(db, n) for n in names)
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE bulk_update AS SELECT {columns} FROM {target} WITH NO DATA"
        )
        _copy(connection, f"COPY bulk_update ({columns}) FROM STDIN", values)
        sets = ", ".join(f"{_quote(db, n)} = bulk_update.{_quote(db, n)}" for n in names[1:])
        connection.exec_driver_sql(
            f"UPDATE {target} SET {sets} FROM bulk_update "
            f"WHERE {target}.{_quote(db, key)} = bulk_update.{_quote(db, key)}"
        )
        connection.exec_driver_sql("DROP TABLE bulk_update")
        return
    sets = ", ".join(f"{_quote(db, n)} = ?" for n in names[1:])
    connection.exec_driver_sql(
        f"UPDATE {target} SET {sets} WHERE {_quote(db, key)} = ?",
        [(*v[1:], v[0]) for v in values],
    )
