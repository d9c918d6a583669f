"""Test fixtures: a real database (SQLite file, or PostgreSQL when REGISTRY_DATABASE_URL says so),
migrated once; each test in a transaction that is rolled back; the real app through WebTest."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session

from registry.config import configure
from registry.db import create_engine
from registry.migrate import upgrade_to_head
from tests.common.db import base as factories

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # CI clones main elsewhere with shared/ beside it
    SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

TEST_PASSWORD = "correct horse battery staple"


# Under pytest-xdist each worker makes its own databases beside the others'.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _server_url() -> URL | None:
    value = os.environ.get("REGISTRY_DATABASE_URL", "")
    return make_url(value) if value.startswith("postgresql") else None


@contextlib.contextmanager
def _postgres_database(base: URL, name: str, template: str | None = None) -> Iterator[URL]:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


class DatabaseFactory:
    """Makes fresh, migrated databases for tests that need their own (CLI runs, imports)."""

    def __init__(self, tmp: Path, server: URL | None, exit_stack: contextlib.ExitStack) -> None:
        self.tmp = tmp
        self.server = server
        self.stack = exit_stack
        self._template: str | None = None
        self._template_file: Path | None = None
        self._seeded: str | None = None

    def _migrated_template(self) -> None:
        if self.server is not None and self._template is None:
            name = f"{self.server.database}_{WORKER}_tpl"
            url = self.stack.enter_context(_postgres_database(self.server, name))
            upgrade_to_head(url.render_as_string(hide_password=False))
            sa.create_engine(url).dispose()
            self._template = name
        elif self.server is None and self._template_file is None:
            self._template_file = self.tmp / "template.db"
            upgrade_to_head(f"sqlite:///{self._template_file}")

    def fresh(self) -> str:
        """A new database, migrated and empty."""
        self._migrated_template()
        return self._copy(self._template, self._template_file)

    def empty(self) -> str:
        """A new database with no tables at all: as it is before `registry init`."""
        if self.server is not None:
            name = f"{self.server.database}_{WORKER}_{uuid.uuid4().hex[:8]}"
            url = self.stack.enter_context(_postgres_database(self.server, name))
            return url.render_as_string(hide_password=False)
        path = self.tmp / f"{uuid.uuid4().hex[:8]}.db"
        sqlite3.connect(path).close()
        return f"sqlite:///{path}"

    def seeded(self) -> str:
        """A new database holding what `registry seed` loads: the seed runs once per worker
        (it takes seconds), and every caller gets a copy of its own to change."""
        if self._seeded is None:
            from tests.common.cli import run_cli, write_ini

            url = self.fresh()
            directory = self.tmp / "seeded-template"
            directory.mkdir()
            result = run_cli(write_ini(directory, url), "seed")
            assert result.exit_code == 0, result.output
            self._seeded = url
        if self.server is not None:
            return self._copy(make_url(self._seeded).database, None)
        return self._copy(None, Path(make_url(self._seeded).database or ""))

    def _copy(self, template: str | None, template_file: Path | None) -> str:
        if self.server is not None:
            # CREATE DATABASE ... TEMPLATE needs the template free of connections: the CLI and
            # upgrade_to_head dispose of their engines before returning.
            name = f"{self.server.database}_{WORKER}_{uuid.uuid4().hex[:8]}"
            url = self.stack.enter_context(_postgres_database(self.server, name, template))
            return url.render_as_string(hide_password=False)
        assert template_file is not None
        path = self.tmp / f"{uuid.uuid4().hex[:8]}.db"
        path.write_bytes(template_file.read_bytes())
        return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    with contextlib.ExitStack() as stack:
        yield DatabaseFactory(tmp_path_factory.mktemp("databases"), _server_url(), stack)


@pytest.fixture(scope="session")
def database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.fresh()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@contextlib.contextmanager
def rolled_back_connection(engine: Engine) -> Iterator[Connection]:
    """One connection in an outer transaction that is rolled back when the block ends."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


@contextlib.contextmanager
def savepoint_session(connection: Connection) -> Iterator[Session]:
    """A session whose commits release SAVEPOINTs; the factories flush into it."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    factories.bind(session)
    try:
        yield session
    finally:
        factories.bind(None)
        session.close()


def app_on(wsgi_app: Any, connection: Connection) -> webtest.TestApp:
    """The real app; every request works in a SAVEPOINT of the test's rolled-back transaction."""
    return webtest.TestApp(
        wsgi_app, extra_environ={"registry.db_connection": connection, "HTTP_HOST": "localhost"}
    )


@pytest.fixture
def db_connection(engine: Engine) -> Iterator[Connection]:
    with rolled_back_connection(engine) as connection:
        yield connection


@pytest.fixture
def db_session(db_connection: Connection) -> Iterator[Session]:
    with savepoint_session(db_connection) as session:
        yield session


@pytest.fixture(scope="session")
def app_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var = tmp_path_factory.mktemp("var")
    return {
        "sqlalchemy.url": database_url,
        "registry.environment": "development",
        "registry.var_dir": str(var),
        "registry.index_dir": str(var / "index"),
        "session.secret": "test-only-secret-" + uuid.uuid4().hex,
    }


@pytest.fixture(scope="session", autouse=True)
def _argon2_once_per_password() -> Iterator[None]:
    """Argon2id at the app's cost (0.2 s of CPU a hash or check) is most of the suite's time when
    every test signs users up and in with the one test password: each distinct hash and check is
    computed for real once per worker, then remembered. A remembered check of a wrong password
    still raises, and a new password still gets a hash of its own."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    hash_once, verify_once = PasswordHasher.hash, PasswordHasher.verify
    hashes: dict[tuple[Any, ...], str] = {}
    checks: dict[tuple[Any, ...], VerificationError | None] = {}

    def hash_(self: PasswordHasher, password: str | bytes, *, salt: bytes | None = None) -> str:
        key = (self.time_cost, self.memory_cost, self.parallelism, password, salt)
        if key not in hashes:
            hashes[key] = hash_once(self, password, salt=salt)
        return hashes[key]

    def verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        key = (hash, password)
        if key not in checks:
            try:
                verify_once(self, hash, password)
                checks[key] = None
            except VerificationError as error:
                checks[key] = error
        error = checks[key]
        if error is not None:
            raise type(error)(*error.args)
        return True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PasswordHasher, "hash", hash_)
        patch.setattr(PasswordHasher, "verify", verify)
        yield


# Every engine that connected during a test, held until the test and its fixtures' teardown end.
_ENGINES_THAT_CONNECTED: set[Engine] = set()


@sa.event.listens_for(Engine, "engine_connect")
def _remember_engine(connection: Connection) -> None:
    _ENGINES_THAT_CONNECTED.add(connection.engine)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Pooled connections are closed when each test's teardown ends, not whenever the collector
    drops the engine that held them: on PostgreSQL both workers share the server's 100
    connections (the load test needs its share), and psycopg warns about a connection collected
    open, which this suite treats as an error. Disposing only empties the pool; an engine a
    longer-lived fixture keeps connects again on its next use."""
    yield
    for engine in list(_ENGINES_THAT_CONNECTED):
        # A connection still checked out (a live server's thread mid-request) would go back to
        # the pool dispose() drops and be collected open: that engine waits for a later test.
        checked_out = getattr(engine.pool, "checkedout", lambda: 0)()
        if not checked_out:
            _ENGINES_THAT_CONNECTED.discard(engine)
            engine.dispose()


@pytest.fixture(scope="session")
def wsgi_app(app_settings: dict[str, Any]) -> Iterator[Any]:
    config = configure(dict(app_settings))
    yield config.make_wsgi_app()
    config.registry["sqlalchemy.engine"].dispose()


@pytest.fixture
def webtest_app(wsgi_app: Any, db_connection: Connection) -> webtest.TestApp:
    return app_on(wsgi_app, db_connection)


def login(app: webtest.TestApp, email: str, password: str = TEST_PASSWORD) -> webtest.TestResponse:
    form = app.get("/login").forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit().maybe_follow()


@pytest.fixture
def make_user(db_session: Session) -> Any:
    from registry.accounts.services import DatabaseUserService

    def _make_user(role: str, email: str | None = None, **kwargs: Any) -> Any:
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.org"
        user = DatabaseUserService(db_session).create_user(email, TEST_PASSWORD, role, **kwargs)
        db_session.commit()  # releases the savepoint: visible to the app's requests
        return user

    return _make_user


@pytest.fixture
def login_as(webtest_app: webtest.TestApp, make_user: Any) -> Any:
    def _login_as(role: str, **kwargs: Any) -> Any:
        user = make_user(role, **kwargs)
        login(webtest_app, user.email)
        return user

    return _login_as


# --- Seeded database: the real seed_data/, loaded once per session through `registry seed`. -----
# Tests that need the GP Systems of Choice case (counts, concentration, detectors) use these;
# each test runs in a rolled-back transaction on it, as db_connection/db_session/webtest_app do.


@pytest.fixture(scope="session")
def seeded_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.seeded()


@pytest.fixture(scope="session")
def seeded_engine(seeded_database_url: str) -> Iterator[Engine]:
    engine = create_engine(seeded_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_db_connection(seeded_engine: Engine) -> Iterator[Connection]:
    with rolled_back_connection(seeded_engine) as connection:
        yield connection


@pytest.fixture
def seeded_db_session(seeded_db_connection: Connection) -> Iterator[Session]:
    with savepoint_session(seeded_db_connection) as session:
        yield session


@pytest.fixture
def seeded_webtest_app(wsgi_app: Any, seeded_db_connection: Connection) -> webtest.TestApp:
    """The real app on the seeded database."""
    return app_on(wsgi_app, seeded_db_connection)
