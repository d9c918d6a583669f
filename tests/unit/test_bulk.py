"""Bulk writes (registry.bulk): rows past one statement's worth all written, with the ids given,
their days as written, and the change log's trigger fired for each."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.bulk import ROWS_PER_STATEMENT, insert_with_ids
from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.suppliers.models import Supplier, SupplierGroup
from tests.conftest import DatabaseFactory


def test_many_rows_go_in_with_their_ids_days_and_change_log(
    database_factory: DatabaseFactory,
) -> None:
    engine = create_engine(database_factory.fresh())
    try:
        _check_many_rows(engine)
    finally:
        engine.dispose()


def _check_many_rows(fresh_engine: Engine) -> None:
    count = 2 * ROWS_PER_STATEMENT + 7  # three statements on SQLite, the last a short one
    days = [datetime.date(2024, 1, 1), datetime.date(2024, 2, 29), None]
    with Session(fresh_engine) as db:
        buyer = Buyer(name="Council", normalised_name="council", buyer_type=BuyerType.other)
        supplier = Supplier(name="Acme", normalised_name="acme", group=SupplierGroup(name="A"))
        db.add_all([buyer, supplier])
        db.flush()
        rows = [
            {
                "reference": f"ref-{n}",
                "title": f"Contract {n}",
                "description": "",
                "buyer_id": buyer.id,
                "supplier_id": supplier.id,
                "award_date": days[n % 3],
                "publication": "published",
                "source": "ocds",
            }
            for n in range(count)
        ]
        ids = insert_with_ids(db, Contract.__table__, rows)  # type: ignore[arg-type]
        db.commit()

    assert len(ids) == count and ids == sorted(set(ids))
    with Session(fresh_engine) as db:
        held = dict(db.execute(sa.select(Contract.id, Contract.reference)).all())
        dates = dict(db.execute(sa.select(Contract.reference, Contract.award_date)).all())
        logged = db.execute(
            sa.text("SELECT count(*) FROM change_log WHERE kind = 'contract'")
        ).scalar_one()
    assert held == {id_: f"ref-{n}" for n, id_ in enumerate(ids)}
    assert dates == {f"ref-{n}": days[n % 3] for n in range(count)}
    assert logged == count
