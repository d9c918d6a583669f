"""The data version: one counter that moves with every committed write, so a public page's ETag
can say whether anything it shows may have changed without rendering it (issue 21).

Writes are noticed where every path passes: each INSERT, UPDATE, DELETE or COPY a connection runs
marks it (ORM flushes, Core statements, the bulk paths' executemany alike); COPY through psycopg's
own cursor, which SQLAlchemy never sees, is marked by `mark_written`. The counter moves once per
marked transaction, as its last statement before COMMIT: the one-row lock is held only for the
commit itself, so writers queue briefly on it and never wait on it while holding other locks (no
deadlock). Tables no public page reads (sign-in sessions, failures, API tokens) do not move it, so
signing in does not empty every cache.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from registry.changes.models import DataVersion

WROTE = "registry.changes.wrote"
EARLIER = "registry.changes.earlier_writes"
PRIVATE_TABLES = frozenset({"data_version", "user_sessions", "sign_in_failures", "api_tokens"})
_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?"
    r"|MERGE\s+INTO|REPLACE\s+INTO)\s+(?:ONLY\s+)?\"?(\w+)",
    re.IGNORECASE,
)
_NOW = {"postgresql": "now()", "sqlite": "CURRENT_TIMESTAMP"}
_TABLE_EXISTS = {
    "postgresql": "SELECT to_regclass('data_version') IS NOT NULL",
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'data_version'",
}
# Engines whose database has the table: a database not yet migrated to it (0026) writes freely.
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def written_table(statement: str) -> str | None:
    """The table a write statement changes, or None when the statement writes nothing."""
    match = _WRITE.match(statement)
    return match.group(1).lower() if match else None


def mark_written(connection: Connection) -> None:
    """Note that this transaction wrote public data through a path SQLAlchemy does not see."""
    connection.info[WROTE] = True


def bump_statement(dialect_name: str) -> str:
    """One statement, no parameters, that moves the counter (making its row the first time)."""
    now = _NOW.get(dialect_name, "CURRENT_TIMESTAMP")
    return (
        f"INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, {now}) "
        "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1, "
        f"changed_at = {now}"
    )


def _driver_execute(connection: Connection, statement: str) -> Any:
    # The driver's own cursor: usable while SQLAlchemy is mid-commit, and seen by no listener.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        return cursor.fetchone() if cursor.description else None
    finally:
        cursor.close()


def _has_table(connection: Connection) -> bool:
    if connection.engine in _READY:
        return True
    query = _TABLE_EXISTS.get(connection.dialect.name)
    if query is None or not _driver_execute(connection, query)[0]:
        return False
    _READY.add(connection.engine)
    return True


class LocalBumps:
    """How many times this process has moved the counter: a copy of the version kept in the
    process is read again after a write made here."""

    count = 0


def bump(connection: Connection) -> None:
    """Move the counter in the connection's transaction now (and forget the mark)."""
    connection.info.pop(WROTE, None)
    LocalBumps.count += 1
    if _has_table(connection):
        _driver_execute(connection, bump_statement(connection.dialect.name))


VERSION = sa.select(DataVersion.version).where(DataVersion.id == 1)


def current_version(db: Session) -> int:
    """The counter as this session's transaction sees it: one primary-key read."""
    return int(db.execute(VERSION).scalar() or 0)


def version_on(connection: Connection) -> int:
    """The counter, read on a connection outside any session."""
    return int(connection.execute(VERSION).scalar() or 0)


def version_on_driver(engine: Engine) -> int:
    """The counter, read on a pooled driver connection: no transaction events, no BEGIN (the
    one statement is its own snapshot). The conditional GET's one query (issue 21)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT version FROM data_version WHERE id = 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
        connection.rollback()  # psycopg began a transaction for the SELECT: end it at once
    finally:
        connection.close()
    return int(row[0]) if row else 0


def _after_cursor_execute(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    # After, not before: a write that failed (a read-only replica, SQLite's busy lock on a
    # best-effort touch) changed nothing and must not make the commit try to write.
    table = written_table(statement)
    if (
        table is not None
        and table not in PRIVATE_TABLES
        and not conn.get_execution_options().get("registry_untracked")
    ):
        conn.info[WROTE] = True


def _forget(conn: Connection) -> None:
    conn.info.pop(WROTE, None)


def _commit(conn: Connection) -> None:
    # A transaction outside any Session (engine.begin(), the CLI's raw connections): SQLAlchemy is
    # mid-commit, so the statement goes to the driver's own cursor, in the same transaction.
    if conn.info.get(WROTE):
        bump(conn)


def _after_begin(session: Session, transaction: Any, connection: Connection) -> None:
    # A session joining a connection that already wrote (tests: each request's SAVEPOINT on the
    # fixture's connection) answers for its own writes only; the earlier ones are handed back
    # when it ends, for whatever commits them.
    if connection.info.pop(WROTE, False):
        session.info[EARLIER] = connection


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None and EARLIER in session.info:
        session.info.pop(EARLIER).info[WROTE] = True


def _before_commit(session: Session) -> None:
    # A Session's own commit (in tests: the SAVEPOINT each request or fixture releases): flush
    # what is pending first, since the commit flushes only after this event.
    transaction = session.get_transaction()
    if transaction is None or transaction.nested:
        return
    session.flush()
    connection = session.connection()
    if connection.info.get(WROTE):
        bump(connection)


def listen() -> None:
    """Watch every engine and session in the process (idempotent)."""
    if event.contains(Engine, "after_cursor_execute", _after_cursor_execute):
        return
    event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
    event.listen(Engine, "begin", _forget)
    event.listen(Engine, "rollback", _forget)
    event.listen(Engine, "commit", _commit)
    event.listen(Session, "after_begin", _after_begin)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
