"""The data version moves with every committed write, whatever path it takes (ORM, Core through a
session, a raw connection, the bulk COPY/executemany path), and not for reads, rollbacks or
sign-in bookkeeping (issue 21)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.bulk import insert_rows
from registry.changes.version import current_version, written_table
from registry.db import create_engine
from registry.suppliers.models import Supplier, SupplierGroup
from tests.conftest import DatabaseFactory


@pytest.fixture
def fresh_engine(database_factory: DatabaseFactory) -> Iterator[Engine]:
    engine = create_engine(database_factory.fresh())
    yield engine
    engine.dispose()


def version(engine: Engine) -> int:
    with Session(engine) as db:
        return current_version(db)


def group_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM supplier_groups")).scalar_one())


def test_every_committed_write_moves_the_version_once(fresh_engine: Engine) -> None:
    assert version(fresh_engine) == 0  # a new database: no row yet

    with Session(fresh_engine) as db:  # the ORM
        db.add(SupplierGroup(name="First"))
        db.commit()
    assert version(fresh_engine) == 1

    with Session(fresh_engine) as db:  # Core through the session, several statements: one move
        db.execute(sa.insert(SupplierGroup).values(name="Second"))
        db.execute(sa.update(SupplierGroup).values(name=SupplierGroup.name + "!"))
        db.commit()
    assert version(fresh_engine) == 2

    with fresh_engine.begin() as connection:  # a raw connection, outside any session
        connection.exec_driver_sql(
            "INSERT INTO supplier_groups (name, created) VALUES ('Third', CURRENT_TIMESTAMP)"
        )
    assert version(fresh_engine) == 3

    with Session(fresh_engine) as db:  # the bulk path: COPY on PostgreSQL, executemany on SQLite
        insert_rows(db, SupplierGroup.__table__, [{"name": "Fourth"}, {"name": "Fifth"}])
        db.commit()
    assert version(fresh_engine) == 4
    assert group_rows(fresh_engine) == 5


def test_reads_rollbacks_and_sign_in_bookkeeping_leave_it(fresh_engine: Engine) -> None:
    with Session(fresh_engine) as db:
        db.add(Supplier(name="Kept Ltd", normalised_name="kept", group=SupplierGroup(name="K")))
        db.commit()
    before = version(fresh_engine)

    with Session(fresh_engine) as db:  # a read
        db.execute(sa.select(Supplier)).all()
        db.commit()
    with Session(fresh_engine) as db:  # a write rolled back
        db.add(SupplierGroup(name="Never"))
        db.flush()
        db.rollback()
    with fresh_engine.begin() as connection:  # sign-in failures are no public page's data
        connection.exec_driver_sql(
            "DELETE FROM sign_in_failures WHERE email = 'nobody@example.org'"
        )
    assert version(fresh_engine) == before


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("INSERT INTO suppliers (name) VALUES (?)", "suppliers"),
        ('  update "contracts" SET x = 1', "contracts"),
        ("DELETE FROM flags WHERE id = 1", "flags"),
        ("COPY bulk_update (a, b) FROM STDIN", "bulk_update"),
        ("INSERT OR REPLACE INTO markets VALUES (1)", "markets"),
        ("SELECT * FROM suppliers", None),
        ("SAVEPOINT sa_savepoint_1", None),
    ],
)
def test_the_table_a_statement_writes(statement: str, table: str | None) -> None:
    assert written_table(statement) == table
