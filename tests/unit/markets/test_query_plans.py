"""The public pages find a supplier's or a market's contracts by their own index, never by the
publication index that nearly every contract is in (issue 8). SQLite without planner statistics
(ANALYZE) otherwise picks that index, and walks every published contract for one market."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.markets.services import MarketKey, market_condition


def _plan(db: Session, where: sa.ColumnElement[bool]) -> str:
    query = sa.select(sa.func.count(Contract.id)).where(public_contract(), where)
    compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    rows = db.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (market_condition(MarketKey("cpv", "48814"), 5), "ix_contracts_cpv_code"),
        # Their covering indexes (the supplier and framework pages' figures) lead with them too.
        (Contract.supplier_id == 1, "ix_contracts_supplier_figures"),
        (Contract.lot_id == 1, "ix_contracts_lot_figures"),
    ],
)
def test_public_contracts_are_found_by_their_own_index(
    db_session: Session, where: sa.ColumnElement[bool], index: str
) -> None:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL weighs the publication index with its statistics")
    plan = _plan(db_session, where)
    assert index in plan
    assert "ix_contracts_publication" not in plan
