"""The app's engines as a serving process configures them: a server's connections pinged as they
leave the pool, a SQLite file's not (nothing to lose) and read through a memory map (issue 21:
pages under load)."""

from __future__ import annotations

from typing import Any

import pytest


def _pre_pings(engine: Any) -> bool:
    return bool(engine.pool._pre_ping)


def test_the_app_engine_pings_a_server_not_a_sqlite_file(wsgi_app: Any) -> None:
    engine = wsgi_app.registry["sqlalchemy.engine"]
    assert _pre_pings(engine) is (engine.dialect.name != "sqlite")
    # The writer is the same pool, so the same connections.
    assert wsgi_app.registry["sqlalchemy.writer"].pool is engine.pool


def test_sqlite_connections_read_the_file_through_a_memory_map(wsgi_app: Any) -> None:
    engine = wsgi_app.registry["sqlalchemy.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite file's setting: PostgreSQL keeps its own shared buffers")
    with engine.connect() as conn:
        mapped = conn.exec_driver_sql("PRAGMA mmap_size").scalar_one()
        # Every other setting of the connection kept: WAL for readers beside a writer.
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    assert mapped > 2**30
    assert journal == "wal"
    assert busy == 30000
