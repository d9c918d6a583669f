"""Aggregation opportunities in a publisher's own classification, in drams (issue 17)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import webtest
from sqlalchemy.orm import Session

from tests.common.db.core import ClassificationFactory, ContractFactory, SupplierFactory


def test_a_classification_market_in_drams_is_listed_and_shown(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    cls = ClassificationFactory(label="Printing services", scheme="CPV-AM")
    supplier = SupplierFactory(name="Tparan LLC")
    for i in range(3):
        ContractFactory(
            supplier=supplier,
            cpv_code=None,
            classification=cls,
            award_date=datetime.date(2017, 3, 1),
            value_amount=Decimal(1_000_000 * (i + 1)),
            currency="AMD",
        )
    db_session.commit()
    listed = webtest_app.get("/opportunities", {"kind": "cls", "year": "2017"})
    (row,) = [r for r in listed.html.select("tbody tr") if "Tparan LLC" in r.text]
    text = " ".join(row.get_text(" ").split())
    assert "Printing services (CPV-AM)" in text
    assert "6,000,000 AMD" in text and "2,000,000 AMD" in text  # total, median
    assert "£" not in text
    detail = webtest_app.get(f"/opportunities/cls-{cls.id}/groups/{supplier.group_id}/2017")
    shown = " ".join(detail.html.get_text(" ").split())
    assert "Tparan LLC in Printing services (CPV-AM)" in shown
    assert "6,000,000 AMD" in shown
    assert webtest_app.get(f"/opportunities/cls-{10**9}/groups/1/2017", status=404)
