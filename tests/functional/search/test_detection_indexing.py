"""A detection run rewrites the documents of the suppliers whose open flags it changed, and
only those: it never rebuilds the whole index (issue 21, the daily update)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.services import open_flag_links, run_detection
from registry.search.services import BACKEND, attach
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.db.core import SupplierFactory
from tests.common.db.flags import market


def _flagged(backend: Any, query: str) -> set[str]:
    results = backend.search(query, filters={"open_flags": ["yes"], "kind": ["supplier"]})
    return {hit.document.title for hit in results.hits}


def _truly_flagged(db: Session) -> set[str]:
    """The suppliers whose group has an open flag, as the database has it."""
    groups = {group_id for group_id, _flag in db.execute(open_flag_links(_all_groups(db)))}
    return set(db.execute(sa.select(Supplier.name).where(Supplier.group_id.in_(groups))).scalars())


def _all_groups(db: Session) -> list[int]:
    return list(db.execute(sa.select(SupplierGroup.id)).scalars())


def test_detection_reindexes_only_the_suppliers_whose_open_flags_changed(
    db_session: Session,
    app_settings: dict[str, Any],
    search_index: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    groups = market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    bystander = SupplierFactory(name="Bystander Ltd")  # no flag, before or after
    attach(db_session, app_settings)
    db_session.commit()
    backend = db_session.info[BACKEND]
    written: list[list[str]] = []
    index = backend.index
    rebuilt: list[int] = []
    monkeypatch.setattr(backend, "rebuild", lambda docs: rebuilt.append(len(list(docs))))
    monkeypatch.setattr(
        backend,
        "index",
        lambda docs, removed=(): (written.append([d.key for d in docs]), index(docs, removed)),
    )
    settings = load_settings(app_settings)
    assert _flagged(backend, "Ltd") == set()

    run_detection(db_session, settings)
    db_session.commit()
    # The duopoly's two groups are flagged, and the facet says so without a rebuild.
    assert {"EMIS Ltd", "TPP Ltd"} <= _flagged(backend, "Ltd")
    assert "Bystander Ltd" not in _flagged(backend, "Ltd")
    assert f"supplier:{bystander.id}" not in written[-1]
    assert len(written[-1]) <= len(groups)  # the flagged groups' suppliers, not every record

    before = _flagged(backend, "Ltd")
    assert before == _truly_flagged(db_session)

    # Ten new groups dilute the market: the duopoly's flag is resolved, new flags are raised on
    # the newcomers (links added and removed); the facet follows.
    market({f"Newcomer {n}": 30 for n in range(10)})
    db_session.commit()
    run_detection(db_session, settings)
    db_session.commit()
    after = _flagged(backend, "Ltd")
    assert after != before
    assert after == _truly_flagged(db_session)
    assert rebuilt == []
