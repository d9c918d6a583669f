"""The read replica keeps serving public readers now that visitors get no session cookie
(issue 21): a visitor's every request reads the replica, however many pages they load; once they
sign in, their requests read the primary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webtest
from sqlalchemy.engine import Connection, Engine

from registry.config import configure
from tests.conftest import login, rolled_back_connection
from tests.functional.scale.test_query_counts import counting


@pytest.fixture(scope="module")
def replica_config(app_settings: dict[str, Any]) -> Iterator[Any]:
    config = configure(
        dict(app_settings, **{"sqlalchemy.url.read": app_settings["sqlalchemy.url"]})
    )
    yield config
    for name in ("sqlalchemy.engine", "sqlalchemy.read_engine"):
        config.registry[name].dispose()


@pytest.fixture
def replica_connection(engine: Engine) -> Iterator[Connection]:
    with rolled_back_connection(engine) as connection:
        yield connection


def test_a_visitor_reads_the_replica_on_every_page_until_signing_in(
    replica_config: Any,
    db_connection: Connection,
    replica_connection: Connection,
    make_user: Any,
) -> None:
    officer = make_user("officer")
    app = webtest.TestApp(
        replica_config.make_wsgi_app(),
        extra_environ={
            "registry.db_connection": db_connection,
            "registry.db_read_connection": replica_connection,
            "HTTP_HOST": "localhost",
        },
    )
    # Browsing public pages leaves no cookie behind, so every request stays on the replica.
    for path in ("/", "/suppliers", "/frameworks", "/markets", "/flags", "/suppliers"):
        with counting(db_connection) as primary, counting(replica_connection) as replica:
            response = app.get(path)
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"].startswith("public"), path
        assert replica and not primary, path
    assert not app.cookies
    # Signing in (the sign-in page's form makes the session) moves the reader to the primary.
    login(app, officer.email)
    assert app.cookies
    with counting(db_connection) as primary, counting(replica_connection) as replica:
        response = app.get("/suppliers")
    assert primary and not replica
    assert response.headers["Cache-Control"] == "private, no-store"
