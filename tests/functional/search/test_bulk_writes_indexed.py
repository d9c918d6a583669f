"""Writers that bypass the ORM name what they wrote, so the index rewrites those documents after
the commit without rebuilding (a day's file into a national registry, or one rating published,
must not rewrite a million documents): an OCDS import its suppliers and contracts, a score run
or a rescore its suppliers; past REBUILD_ABOVE records, one rebuild instead (issue 21)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.db import utcnow
from registry.opendata.importer import import_file
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.scores import services as scores
from registry.scoring.scores import updates as score_updates
from registry.search import services
from registry.search.documents import documents_for
from registry.search.services import BACKEND, attach
from registry.suppliers.models import Supplier
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory
from tests.conftest import SHARED_DATA

DAY = SHARED_DATA / "uk-contracts-finder-2025" / "releases.jsonl"


def _found(backend: Any, text: str, kind: str) -> set[int]:
    results = backend.search(text, filters={"kind": [kind]}, page_size=100)
    return {hit.document.record_id for hit in results.hits}


def _watch(db: Session, app_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    attach(db, app_settings)
    db.commit()
    backend = db.info[BACKEND]
    rebuilt: list[int] = []
    rebuild = backend.rebuild
    monkeypatch.setattr(backend, "rebuild", lambda docs: rebuilt.append(rebuild(docs)))
    return backend, rebuilt


def _last_imported(db: Session) -> tuple[Supplier, Contract]:
    supplier = db.execute(sa.select(Supplier).order_by(Supplier.id.desc()).limit(1)).scalar_one()
    contract = db.execute(
        sa.select(Contract).where(Contract.supplier_id == supplier.id).limit(1)
    ).scalar_one()
    return supplier, contract


@pytest.mark.parametrize("limit", [services.REBUILD_ABOVE, 10], ids=["named", "past-the-limit"])
def test_an_import_indexes_its_suppliers_and_contracts(
    db_session: Session,
    app_settings: dict[str, Any],
    search_index: Any,
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
) -> None:
    """Named, without a rebuild; past the limit, one rebuild."""
    backend, rebuilt = _watch(db_session, app_settings, monkeypatch)
    monkeypatch.setattr(services, "REBUILD_ABOVE", limit)
    summary = import_file(db_session, DAY, DAY.name)
    db_session.commit()
    assert summary.created > 10  # past the small limit
    supplier, contract = _last_imported(db_session)
    assert supplier.id in _found(backend, supplier.name, "supplier")
    assert contract.id in _found(backend, contract.title, "contract")
    # PostgreSQL's vectors follow by trigger: its backend never rebuilds on a commit.
    rebuilds = getattr(backend, "indexes_on_commit", False) and limit < summary.created
    assert len(rebuilt) == (1 if rebuilds else 0)


def _band(backend: Any, db: Session, supplier: Supplier) -> tuple[str, str]:
    """The supplier's score band as the index has it, and as its document is built now."""
    results = backend.search(supplier.name, filters={"kind": ["supplier"]})
    indexed = {h.document.record_id: h.document.score_band for h in results.hits}[supplier.id]
    documents, _removed = documents_for(db, {"supplier": {supplier.id}})
    return indexed, documents[0].score_band


def test_score_runs_and_rescores_rewrite_their_suppliers_without_a_rebuild(
    db_session: Session,
    app_settings: dict[str, Any],
    search_index: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    as_of = datetime.date(2024, 12, 31)
    lot = LotFactory.create(framework=FrameworkFactory.create())
    rated = SupplierFactory.create(name="Banded Systems Ltd")
    for _ in range(3):
        contract = ContractFactory.create(supplier=rated, lot=lot)
        AssessmentFactory.create(contract=contract, rating=Rating.inadequate, period_end=as_of)
    other = SupplierFactory.create(name="Other Systems Ltd")
    AssessmentFactory.create(
        contract=ContractFactory.create(supplier=other, lot=lot),
        rating=Rating.good,
        period_end=as_of,
    )
    backend, rebuilt = _watch(db_session, app_settings, monkeypatch)
    unscored, _ = _band(backend, db_session, rated)

    scores.recompute(db_session, as_of)
    db_session.commit()
    indexed, built = _band(backend, db_session, rated)
    assert indexed == built != unscored

    # All its ratings retracted: the rescore retires its scores, and the band follows.
    for assessment in db_session.scalars(
        sa.select(Assessment).where(Assessment.supplier_id == rated.id)
    ):
        assessment.retracted_at = utcnow()
    db_session.flush()
    score_updates.rescore_suppliers(db_session, [rated.id], None, "test")
    db_session.commit()
    again, rebuilt_band = _band(backend, db_session, rated)
    assert again == rebuilt_band != indexed
    assert rebuilt == []
