"""An OCDS import names what it wrote, so the index takes the new suppliers and contracts after
the commit without rebuilding (a day's file into a national registry must not rewrite a million
documents); past REBUILD_ABOVE records, one rebuild instead (issue 21, the daily update)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.opendata.importer import import_file
from registry.search import services
from registry.search.services import BACKEND, attach
from registry.suppliers.models import Supplier
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


def test_an_import_indexes_its_suppliers_and_contracts_without_a_rebuild(
    db_session: Session,
    app_settings: dict[str, Any],
    search_index: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend, rebuilt = _watch(db_session, app_settings, monkeypatch)
    summary = import_file(db_session, DAY, DAY.name)
    db_session.commit()
    assert summary.created > 0
    supplier, contract = _last_imported(db_session)
    assert supplier.id in _found(backend, supplier.name, "supplier")
    assert contract.id in _found(backend, contract.title, "contract")
    assert rebuilt == []


def test_an_import_past_the_limit_rebuilds_once(
    db_session: Session,
    app_settings: dict[str, Any],
    search_index: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend, rebuilt = _watch(db_session, app_settings, monkeypatch)
    monkeypatch.setattr(services, "REBUILD_ABOVE", 10)
    import_file(db_session, DAY, DAY.name)
    db_session.commit()
    supplier, contract = _last_imported(db_session)
    assert supplier.id in _found(backend, supplier.name, "supplier")
    assert contract.id in _found(backend, contract.title, "contract")
    if getattr(backend, "indexes_on_commit", False):  # PostgreSQL's vectors follow by trigger
        assert len(rebuilt) == 1
