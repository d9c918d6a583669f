"""The index follows committed data only: a rolled-back change is never searchable."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.search.models import SearchVector
from registry.search.services import attach
from registry.suppliers.models import Supplier
from tests.common.db.core import ContractFactory, SupplierFactory, SupplierGroupFactory


def supplier_links(app: webtest.TestApp, q: str) -> list[str]:
    page = app.get("/search", params={"q": q})
    return [a.attrs["href"] for a in page.html.select('ul[data-kind="supplier"] li > a')]


@pytest.fixture
def indexed_session(
    db_session: Session, app_settings: dict[str, Any], search_index: Any
) -> Session:
    """The test's session, indexing on commit exactly as a request's or the CLI's does."""
    attach(db_session, app_settings)
    return db_session


def test_a_rolled_back_change_is_not_searchable(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    SupplierFactory(name="Rollbackia Health Ltd")  # flushed: after_flush has seen it
    indexed_session.rollback()
    assert supplier_links(webtest_app, "Rollbackia") == []


def test_a_committed_change_is_searchable(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    supplier = SupplierFactory(name="Commitia Health Ltd")
    assert supplier_links(webtest_app, "Commitia") == []  # flushed, not committed: not indexed
    indexed_session.commit()
    assert supplier_links(webtest_app, "Commitia") == [f"/suppliers/{supplier.id}"]


def test_a_committed_rename_replaces_the_old_words(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    supplier = SupplierFactory(
        name="Oldname Medical Ltd", group=SupplierGroupFactory(name="Medics")
    )
    indexed_session.commit()
    supplier.name = "Newname Medical Ltd"
    indexed_session.commit()
    assert supplier_links(webtest_app, "Oldname") == []
    assert supplier_links(webtest_app, "Newname") == [f"/suppliers/{supplier.id}"]


def test_a_group_rename_reaches_its_suppliers(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    group = SupplierGroupFactory(name="Parentco Holdings")
    supplier = SupplierFactory(name="Childco Ltd", group=group)
    indexed_session.commit()
    group.name = "Renamedparent Holdings"
    indexed_session.commit()
    assert supplier_links(webtest_app, "Renamedparent") == [f"/suppliers/{supplier.id}"]


def test_a_merged_supplier_leaves_the_index(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    survivor = SupplierFactory(name="Survivor Systems Ltd")
    merged = SupplierFactory(name="Survivor Systems Limited Duplicate")
    indexed_session.commit()
    merged.merged_into_id = survivor.id
    indexed_session.commit()
    assert supplier_links(webtest_app, "duplicate") == []


def test_a_contract_is_found_only_once_published(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    from registry.records import Publication

    contract = ContractFactory(title="Pathology results messaging", publication=Publication.draft)
    indexed_session.commit()
    page = webtest_app.get("/search", params={"q": "pathology"})
    assert not page.html.select('ul[data-kind="contract"]')
    contract.publication = Publication.published
    indexed_session.commit()
    page = webtest_app.get("/search", params={"q": "pathology"})
    assert [a.attrs["href"] for a in page.html.select('ul[data-kind="contract"] li > a')] == [
        f"/contracts/{contract.id}"
    ]


def test_postgresql_triggers_keep_vectors_for_rows_written_one_statement_at_a_time(
    db_session: Session,
) -> None:
    """Bulk writers (seed, imports) send one INSERT per row: each fires the statement triggers,
    and each call must plan afresh, or a plan made while the table was small scans it whole
    every time (revision 0018)."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the search_vectors triggers exist on PostgreSQL only")
    configs = dict(
        db_session.execute(
            sa.text(
                "SELECT proname, array_to_string(proconfig, ',') FROM pg_proc "
                "WHERE proname LIKE 'search_vectors_%'"
            )
        ).all()
    )
    assert "search_vectors_refresh" in configs
    assert all(config == "plan_cache_mode=force_custom_plan" for config in configs.values())

    group = SupplierGroupFactory(name="Onebyone Group")
    db_session.flush()
    suppliers: sa.Table = Supplier.__table__  # type: ignore[assignment]
    db_session.execute(
        sa.insert(suppliers),
        [
            {
                "name": f"Onebyone Supplier {n}",
                "normalised_name": f"onebyone supplier {n}",
                "group_id": group.id,
                "aliases": [],
            }
            for n in range(40)
        ],
    )
    found = db_session.scalar(
        sa.select(sa.func.count())
        .select_from(SearchVector)
        .where(
            SearchVector.kind == "supplier",
            SearchVector.vector.op("@@")(sa.func.to_tsquery("english", "onebyone")),
        )
    )
    assert found == 40


def test_what_a_supplier_sells_follows_committed_lots_and_contracts(
    webtest_app: webtest.TestApp, indexed_session: Session
) -> None:
    from tests.common.db.core import LotFactory, MembershipFactory

    supplier = SupplierFactory(name="Quietname Ltd")
    lot = LotFactory(title="Pathology analysers")
    indexed_session.commit()
    assert supplier_links(webtest_app, "pathology analysers") == []
    MembershipFactory(supplier=supplier, lot=lot)  # a membership: the supplier's document
    indexed_session.commit()
    assert supplier_links(webtest_app, "pathology analysers") == [f"/suppliers/{supplier.id}"]
    lot.title = "Blood gas analysers"  # a lot's new title reaches its suppliers' documents
    indexed_session.commit()
    assert supplier_links(webtest_app, "blood gas") == [f"/suppliers/{supplier.id}"]
    # The supplier's old document is deleted, not found again by the lot's old title.
    assert supplier_links(webtest_app, "pathology") == []
    ContractFactory(supplier=supplier, title="Mortuary refrigeration")  # a contract's title too
    indexed_session.commit()
    assert supplier_links(webtest_app, "mortuary refrigeration") == [f"/suppliers/{supplier.id}"]
