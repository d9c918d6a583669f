"""One declarative base, one engine per app, one session per request (joined to request.tm)."""

from __future__ import annotations

import datetime
import enum
import hashlib
from collections.abc import Sequence
from typing import Annotated, Any

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

from registry.sessions import SESSION_COOKIE

# Named constraints let Alembic's SQLite batch mode find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC datetime is required")
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: datetime.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


int_pk = Annotated[int, mapped_column(primary_key=True)]
bool_false = Annotated[bool, mapped_column(default=False, server_default=sa.false())]
datetime_now = Annotated[datetime.datetime, mapped_column(UTCDateTime, default=utcnow)]


class ModelBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # StrEnums are stored by value, as plain strings checked in Python: adding a value needs no
    # ALTER TYPE on PostgreSQL and behaves the same on SQLite.
    type_annotation_map = {
        enum.StrEnum: sa.Enum(
            enum.StrEnum,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        datetime.datetime: UTCDateTime,
        dict[str, Any]: sa.JSON,
        list[str]: sa.JSON,
    }

    def __repr__(self) -> str:
        pk = ", ".join(str(getattr(self, c.key or "")) for c in sa.inspect(type(self)).primary_key)
        return f"<{type(self).__name__} {pk}>"


def create_engine(url: str, **kwargs: Any) -> Engine:
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    # Every committed write moves the data version public pages' ETags derive from (issue 21).
    from registry.changes.version import listen  # a cycle: its models import this module

    listen()
    # Stored supplier, buyer and lot figures refreshed by the transaction that changes them.
    from registry.figures.hooks import listen as keep_figures  # a cycle, as above

    keep_figures()
    return engine


def refresh_statistics(engine: Engine, stale_and: Sequence[str] | None = None) -> None:
    """ANALYZE every table, after a bulk load has committed. Until then the planner's statistics
    describe the tables as they were before it (empty, after a first seed or import), and the
    next `registry detect` or page plans for empty tables until autovacuum catches up: three
    times slower on the seed. On PostgreSQL it also moves the GIN indexes' pending entries into
    the indexes proper, as a VACUUM would: a bulk load leaves up to gin_pending_list_limit of
    them, which every full-text search then reads one by one (a third of a search's index scan
    at 100,000 records). `stale_and` (PostgreSQL): only these tables and those autovacuum would
    analyse now (done now rather than when it gets to them): a day's file into a national
    registry need not sample the million contracts, assessments and coverage rows again
    (seconds). The counts autovacuum goes by start afresh in a database copied from a template
    or after a crash: a table known to be drained and refilled is better named."""
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if stale_and is not None and postgresql:
            # This connection's own counts of rows written reach pg_stat_user_tables once idle.
            connection.exec_driver_sql("SELECT pg_stat_force_next_flush()")
            connection.commit()
            stale = connection.execute(sa.text(STALE_TABLES)).scalars().all()
            for name in sorted({*stale, *stale_and}):
                connection.exec_driver_sql(f'ANALYZE "{name}"')
        else:
            connection.exec_driver_sql("ANALYZE")
        if postgresql:
            connection.exec_driver_sql(GIN_PENDING_LISTS)
        connection.commit()


# The current schema's tables whose rows changed since their last ANALYZE by more than
# autovacuum's default threshold (50 rows and a tenth of them), or never analysed.
STALE_TABLES = """
SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema()
  AND (c.reltuples < 0 OR s.n_mod_since_analyze > 50 + 0.1 * c.reltuples)
ORDER BY s.relname"""

# Every GIN index of the current schema, its pending list flushed.
GIN_PENDING_LISTS = """
SELECT gin_clean_pending_list(c.oid::regclass)
FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE am.amname = 'gin' AND c.relkind = 'i' AND n.nspname = current_schema()"""


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


class RoundHalfEven(sa.sql.functions.FunctionElement[Any]):
    """round(value, digits) exactly as Python rounds a float: the exact binary value, ties to
    even. Portable SQL for numbers that must equal the ones Python's float arithmetic gives."""

    inherit_cache = True
    name = "registry_round"


@compiles(RoundHalfEven)
def _round_sqlite(element: RoundHalfEven, compiler: Any, **kw: Any) -> str:
    return f"registry_round({compiler.process(element.clauses, **kw)})"


@compiles(RoundHalfEven, "postgresql")
def _round_postgresql(element: RoundHalfEven, compiler: Any, **kw: Any) -> str:
    value, digits = list(element.clauses)
    places = int(digits.effective_value)
    pattern = "FM999999999990" + ("." + "0" * places if places else "")
    return f"CAST(to_char({compiler.process(value, **kw)}, '{pattern}') AS NUMERIC)"


def _digest(text: str | None) -> int | None:
    if text is None:
        return None
    # Change detection, not security: the bits PostgreSQL's md5() gives, so both agree.
    return int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:7], 16)


class TextDigest(sa.sql.functions.FunctionElement[Any]):
    """A number from a whole text's content, the same on both engines: the first 28 bits of its
    MD5 (registry.changes.fingerprints). SQLite, which has no hash function, calls Python's."""

    inherit_cache = True
    name = "registry_digest"
    type = sa.BigInteger()


@compiles(TextDigest)
def _digest_sqlite(element: TextDigest, compiler: Any, **kw: Any) -> str:
    return f"registry_digest({compiler.process(element.clauses, **kw)})"


@compiles(TextDigest, "postgresql")
def _digest_postgresql(element: TextDigest, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"CAST(CAST('x' || substr(md5({text}), 1, 7) AS BIT(28)) AS BIGINT)"


class Greatest(sa.sql.functions.FunctionElement[Any]):
    """The larger of two values: greatest() on PostgreSQL, two-argument max() on SQLite."""

    inherit_cache = True
    name = "greatest"


class Least(sa.sql.functions.FunctionElement[Any]):
    """The smaller of two values: least() on PostgreSQL, two-argument min() on SQLite."""

    inherit_cache = True
    name = "least"


@compiles(Greatest)
@compiles(Least)
def _extreme(element: Any, compiler: Any, **kw: Any) -> str:
    name = {"greatest": "max", "least": "min"}[element.name]
    return f"{name}({compiler.process(element.clauses, **kw)})"


@compiles(Greatest, "postgresql")
@compiles(Least, "postgresql")
def _extreme_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"{element.name}({compiler.process(element.clauses, **kw)})"


class Unindexed(sa.sql.functions.FunctionElement[Any]):
    """A column SQLite must not look up by index (unary plus, as SQLite's docs advise): for a
    condition most rows meet, one pass over the table beats walking an index and reading the
    table in the index's order. PostgreSQL's planner weighs that itself: the column as it is."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type  # compared and bound as the column is


@compiles(Unindexed)
def _unindexed_sqlite(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(Unindexed, "postgresql")
def _unindexed_postgresql(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


SQLITE_MMAP_BYTES = 2**31  # the file's first 2 GB, shared by every connection to it


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over as SQLAlchemy's docs say.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # Writers queue for SQLite's one write lock; under load the queue can pass 10 s on a
        # busy machine (the load test saw it), so wait longer rather than fail the request.
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Reads straight from the OS page cache, not a read() call copying each page into this
        # connection's own 2 MB cache: under load each of the pool's connections otherwise read
        # ~400 pages per public page anew (1,000,000 contracts), a tenth of a request's CPU.
        # Writes still go through the WAL; SQLite caps the size at its build's limit (2 GB).
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.close()
        # SQLite's round() and printf round a decimal approximation half away from zero; Python
        # (and the C printf behind PostgreSQL's to_char) round the exact binary value half to
        # even. Set-based SQL that must give Python's numbers rounds with this (see RoundHalfEven).
        dbapi_connection.create_function("registry_round", 2, _round, deterministic=True)
        dbapi_connection.create_function("registry_digest", 1, _digest, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Requests that may write take the write lock at BEGIN (IMMEDIATE): a deferred
        # transaction that reads and then writes fails at once with "database is locked" when
        # another writer committed in between, which busy_timeout cannot wait out.
        immediate = conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def anonymous_reader(request: Request) -> bool:
    """A public reader's GET: no session cookie (so no signed-in user, and nothing of theirs to
    read back at once) and nothing to write."""
    return request.method in SAFE_METHODS and SESSION_COOKIE not in request.cookies


def reads_from_replica(request: Request) -> bool:
    """Public readers read from the replica; staff, forms and every write use the primary."""
    return "sqlalchemy.read_sessionmaker" in request.registry and anonymous_reader(request)


def _read_only(engine: Engine) -> None:
    """Every transaction on the replica engine is read-only: a write sent there by mistake fails
    at once, on a replica or (in tests) on the primary alike."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_connection.commit()


def _request_db(request: Request) -> Session:
    # Tests hand the app an open connection inside an outer transaction; each request then works
    # in a SAVEPOINT on it, so a commit or rollback behaves as in production.
    connection = request.environ.get("registry.db_connection")
    replica = reads_from_replica(request)
    if replica and "registry.db_read_connection" in request.environ:
        connection = request.environ["registry.db_read_connection"]
    if connection is not None:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
    elif replica:
        session = request.registry["sqlalchemy.read_sessionmaker"]()
    elif request.method in SAFE_METHODS:
        session = request.registry["sqlalchemy.sessionmaker"]()
    else:
        session = request.registry["sqlalchemy.sessionmaker"](
            bind=request.registry["sqlalchemy.writer"]
        )
    zope.sqlalchemy.register(session, transaction_manager=request.tm)
    request.add_finished_callback(lambda _request: session.close())
    return session


def _app_engine(url: str) -> Engine:
    """An app's engine. A server's connections can die (a restart, a failover): each is pinged
    as it leaves the pool. A SQLite file has no server to lose, and the ping's extra statement
    is one more handover of the GIL per request, which four busy threads pay for under load."""
    pre_ping = sa.engine.make_url(url).get_backend_name() != "sqlite"
    return create_engine(url, pool_pre_ping=pre_ping)


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    engine = _app_engine(settings["sqlalchemy.url"])
    config.registry["sqlalchemy.engine"] = engine
    config.registry["sqlalchemy.sessionmaker"] = sessionmaker(bind=engine)
    # A read replica (sqlalchemy.url.read): public GET pages read from it, so several app servers
    # can share the reading load while one primary takes the writes.
    if settings.get("sqlalchemy.url.read"):
        read_engine = _app_engine(settings["sqlalchemy.url.read"])
        if read_engine.dialect.name == "postgresql":
            _read_only(read_engine)
        config.registry["sqlalchemy.read_engine"] = read_engine
        config.registry["sqlalchemy.read_sessionmaker"] = sessionmaker(bind=read_engine)
    # The same pool; on SQLite its transactions begin IMMEDIATE (see _configure_sqlite).
    config.registry["sqlalchemy.writer"] = engine.execution_options(sqlite_begin="IMMEDIATE")
    config.add_request_method(_request_db, name="db", reify=True)


class AsJson(sa.sql.functions.FunctionElement[Any]):
    """Text holding a JSON document, as a JSON value: PostgreSQL casts it, SQLite stores text."""

    inherit_cache = True
    type = sa.JSON()


@compiles(AsJson)
def _as_json_sqlite(element: AsJson, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(AsJson, "postgresql")
def _as_json_postgresql(element: AsJson, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSON)"
