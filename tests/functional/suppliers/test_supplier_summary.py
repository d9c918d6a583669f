"""The supplier page reads summary first (issue 18): score and band, flags and market shares
before the long lists, which show a few rows and link to the rest on paged pages."""

from __future__ import annotations

from typing import Any

import webtest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from registry.markets.models import MarketGroupFigures
from registry.suppliers.views.public import PAGE_ROWS, SUMMARY_ROWS
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)

PLACES = SUMMARY_ROWS + PAGE_ROWS + 3  # more than the page shows, and than one full page


def _busy_supplier(db: Session) -> Any:
    supplier = SupplierFactory.create(name="Busy Systems Ltd")
    framework = FrameworkFactory.create(reference="RM0001", title="Busy framework")
    for n in range(PLACES):
        lot = LotFactory.create(framework=framework, number=str(n + 1), title=f"Lot {n + 1}")
        MembershipFactory.create(supplier=supplier, lot=lot)
        ObligationFactory.create(framework=framework, lot=lot, supplier=supplier)
    for n, key in enumerate(["cpv-48000", "cpv-72000", "cpv-48814"]):
        db.add(
            MarketGroupFigures(
                market_key=key,
                group_id=supplier.group_id,
                rank=n + 1,
                buyer_rank=n + 1,
                value_rank=n + 1,
                contracts=10 - n,
                valued_contracts=10 - n,
                value=1000.0,
                buyers=30 - n,
                buyer_share=0.5 - n / 10,
                value_share=0.4,
            )
        )
    db.commit()
    return supplier


def _position(html: str, marker: str) -> int:
    assert marker in html, marker
    return html.index(marker)


def test_summary_sections_come_before_the_long_lists(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = _busy_supplier(db_session)
    page = webtest_app.get(f"/suppliers/{supplier.id}")
    html = page.text
    summary = [
        'id="supplier-summary"',
        'id="flags"',
        'id="markets"',
        'id="scorecard-heading"',
    ]
    lists = ['id="frameworks"', 'id="obligations"', "Published contracts</h2>"]
    assert max(_position(html, m) for m in summary) < min(_position(html, m) for m in lists)
    glance = page.html.select_one("#supplier-summary").text
    assert "Not scored yet" in glance
    assert f"{PLACES}" in glance  # framework places counted, not listed
    assert "50.0% of its buyers" in glance and "3 markets" in glance


def test_long_lists_are_bounded_and_link_to_all(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = _busy_supplier(db_session)
    page = webtest_app.get(f"/suppliers/{supplier.id}")
    tables = {
        h2["id"]: h2.find_next("table")
        for h2 in page.html.select("h2#frameworks, h2#obligations, h2#markets")
    }
    for name in ("frameworks", "obligations", "markets"):
        rows = tables[name].select("tbody tr")
        assert len(rows) == (3 if name == "markets" else SUMMARY_ROWS), name
    assert page.html.select_one("#all-memberships").text.startswith(f"All {PLACES} framework")
    assert page.html.select_one("#all-obligations").text.startswith(f"All {PLACES} obligations")

    all_places = page.click(href=f"/suppliers/{supplier.id}/memberships")
    assert len(all_places.html.select("tbody tr")) == PAGE_ROWS
    second = webtest_app.get(f"/suppliers/{supplier.id}/memberships", {"page": "2"})
    assert len(second.html.select("tbody tr")) == PLACES - PAGE_ROWS
    obligations = webtest_app.get(f"/suppliers/{supplier.id}/obligations", {"page": "2"})
    assert len(obligations.html.select("tbody tr")) == PLACES - PAGE_ROWS


def test_a_small_supplier_has_no_links_to_more(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = SupplierFactory.create()
    MembershipFactory.create(supplier=supplier)
    db_session.commit()
    page = BeautifulSoup(webtest_app.get(f"/suppliers/{supplier.id}").text, "html.parser")
    assert page.select_one("#all-memberships") is None
    assert "No market figures yet" in page.select_one("#supplier-summary").text
    webtest_app.get("/suppliers/999999/memberships", status=404)
