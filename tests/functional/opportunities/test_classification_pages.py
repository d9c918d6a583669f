"""Aggregation opportunities in a publisher's own classification, in drams (issue 17)."""

from __future__ import annotations

import webtest
from sqlalchemy.orm import Session

from tests.common.db.core import ClassificationFactory, SupplierFactory
from tests.common.db.flags import separate_buying


def test_a_classification_market_in_drams_is_listed_and_shown(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    cls = ClassificationFactory(label="Printing services", scheme="CPV-AM")
    supplier = SupplierFactory(name="Tparan LLC")
    separate_buying(supplier, cls, [1_000_000, 2_000_000, 3_000_000])
    db_session.commit()
    listed = webtest_app.get("/opportunities", {"kind": "cls", "year": "2017"})
    (row,) = [r for r in listed.html.select("tbody tr") if "Tparan LLC" in r.text]
    text = " ".join(row.get_text(" ").split())
    assert "Printing services" in text
    assert "6,000,000 AMD" in text and "2,000,000 AMD" in text  # total, median
    assert "£" not in text
    detail = webtest_app.get(f"/opportunities/cls-{cls.id}/groups/{supplier.group_id}/2017")
    shown = " ".join(detail.html.get_text(" ").split())
    assert "Tparan LLC in Printing services" in shown
    assert "6,000,000 AMD" in shown
    assert webtest_app.get(f"/opportunities/cls-{10**9}/groups/1/2017", status=404)
