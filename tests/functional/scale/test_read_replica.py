"""A read replica (sqlalchemy.url.read): public GET pages read from a second connection, signed-in
users and every write from the primary. Visitors get no session cookie (issue 21), so a visitor's
every request stays on the replica until they sign in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from registry.config import configure, normalise_settings
from registry.suppliers.models import Supplier, SupplierGroup
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
    """The replica: a second connection, whose uncommitted rows the primary cannot see."""
    with rolled_back_connection(engine) as connection:
        yield connection


def replica_app(config: Any, primary: Connection, replica: Connection) -> webtest.TestApp:
    return webtest.TestApp(
        config.make_wsgi_app(),
        extra_environ={
            "registry.db_connection": primary,
            "registry.db_read_connection": replica,
            "HTTP_HOST": "localhost",
        },
    )


def test_public_get_pages_read_from_the_replica(
    replica_config: Any, db_connection: Connection, replica_connection: Connection
) -> None:
    with Session(bind=replica_connection, join_transaction_mode="create_savepoint") as db:
        group = SupplierGroup(name="Replica Group")
        supplier = Supplier(
            name="Replica Only Ltd", normalised_name="replica only", group=group, aliases=[]
        )
        db.add(supplier)
        db.commit()  # releases the SAVEPOINT: the row stays in the replica's transaction
        supplier_id = supplier.id
    app = replica_app(replica_config, db_connection, replica_connection)
    # An anonymous reader's GET is served from the replica connection...
    assert "Replica Only Ltd" in app.get(f"/suppliers/{supplier_id}").text
    # ...while a request carrying a session (a signed-in user) reads the primary, which has no
    # such supplier.
    app.set_cookie("registry_session", "anything")
    app.get(f"/suppliers/{supplier_id}", status=404)


def test_a_visitor_reads_the_replica_on_every_page_until_signing_in(
    replica_config: Any,
    db_connection: Connection,
    replica_connection: Connection,
    make_user: Any,
) -> None:
    officer = make_user("officer")
    app = replica_app(replica_config, db_connection, replica_connection)
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


def test_the_replica_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL_READ", "postgresql+psycopg://replica/registry")
    settings = normalise_settings(
        {"sqlalchemy.url": "sqlite://", "registry.environment": "development"}
    )
    assert settings["sqlalchemy.url.read"] == "postgresql+psycopg://replica/registry"


def test_the_replica_engine_refuses_writes_on_postgresql(replica_config: Any) -> None:
    engine = replica_config.registry["sqlalchemy.read_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("read-only transactions are set on PostgreSQL replicas")
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("INSERT INTO supplier_groups (name) VALUES ('x')"))
