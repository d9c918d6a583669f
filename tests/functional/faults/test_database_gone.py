"""The database going away gives a 503 page (HTML, and JSON under /api), never a traceback, and
the app serves again as soon as the database is back, without a restart (issue 9, faults)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
import webtest
from sqlalchemy.engine import Engine

from tests.functional.faults.conftest import SUPPLIER

PAGES = ("/suppliers", "/contracts", "/frameworks", "/markets")


@contextlib.contextmanager
def _postgres_outage(engine: Engine) -> Iterator[None]:
    """The server refuses new connections to the database and ends the open ones."""
    name = engine.url.database
    admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                yield
            finally:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        admin.dispose()


@contextlib.contextmanager
def _sqlite_outage(engine: Engine) -> Iterator[None]:
    """The file goes (a directory stands in its place, so nothing recreates it empty). A SQLite
    file has no server to lose connections to, and open handles keep the moved file: the pool
    is emptied so that the next request opens the file afresh, as a restarted worker would."""
    path = Path(engine.url.database or "")
    moved = path.with_name(path.name + ".away")
    path.rename(moved)
    path.mkdir()
    engine.dispose()
    try:
        yield
    finally:
        shutil.rmtree(path)
        moved.rename(path)


def test_pages_answer_503_while_the_database_is_gone_and_recover_after(
    app: webtest.TestApp,
) -> None:
    assert SUPPLIER in app.get("/suppliers").text
    engine = app.app.registry["sqlalchemy.engine"]
    outage = _postgres_outage if engine.dialect.name == "postgresql" else _sqlite_outage

    with outage(engine):
        for path in PAGES:
            page = app.get(path, status=503)
            assert page.content_type == "text/html", path
            assert "Sorry, the service is unavailable" in page.text
            assert "govuk-template" in page.text  # the house style, not a bare message
            assert "Traceback" not in page.text and "OperationalError" not in page.text
            assert page.headers["Retry-After"] == "60"
        api = app.get("/api/v1/suppliers", status=503)
        assert api.content_type == "application/json"
        assert api.json["error"]["status"] == 503
        assert "database" in api.json["error"]["message"]

    # Back: the same app serves again, with no restart.
    assert SUPPLIER in app.get("/suppliers").text
    assert app.get("/api/v1/suppliers").json["data"][0]["name"] == SUPPLIER
