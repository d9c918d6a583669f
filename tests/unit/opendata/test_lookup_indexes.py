"""Revision 0032 dropped the single-column indexes on contracts' buyer, supplier and lot and on
imported releases' ocid, which every import had to write: a lookup by each is still answered by
an index, the composite one it leads (and so are the foreign keys' checks)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.opendata.models import ImportedRelease


def _plan(db: Session, query: sa.Select[tuple[int]]) -> str:
    compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    if db.get_bind().dialect.name == "postgresql":
        # On an empty table the planner rightly prefers a scan: the question is whether an
        # index can answer at all.
        db.execute(sa.text("SET LOCAL enable_seqscan = off"))
        rows = db.execute(sa.text(f"EXPLAIN {compiled}")).all()
    else:
        rows = db.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (sa.select(Contract.id).where(Contract.buyer_id == 1), "ix_contracts_buyer_id_supplier_id"),
        (sa.select(Contract.id).where(Contract.supplier_id == 1), "ix_contracts_supplier_figures"),
        (sa.select(Contract.id).where(Contract.lot_id == 1), "ix_contracts_lot_figures"),
        (
            sa.select(ImportedRelease.id).where(ImportedRelease.ocid == "ocds-x-1"),
            # Its unique (ocid, release_id), which SQLite names itself.
            "uq_imported_releases_ocid_release_id|sqlite_autoindex_imported_releases_1",
        ),
    ],
)
def test_a_lookup_by_a_leading_column_uses_its_composite_index(
    db_session: Session, query: sa.Select[tuple[int]], index: str
) -> None:
    plan = _plan(db_session, query)
    assert "Seq Scan" not in plan
    assert "SCAN " not in plan.replace("SEARCH", "")  # SQLite: a search, not a scan
    assert any(name in plan for name in index.split("|")), plan
