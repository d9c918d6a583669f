"""A record with many flags (a national supplier group, buyer or market): its page lists the first
ones, and links to /flags filtered to that record, which lists them all."""

from __future__ import annotations

import webtest
from sqlalchemy.orm import Session

from registry.flags import SUBJECT_FLAGS_SHOWN
from registry.flags.models import Flag, FlagGroup, FlagStatus, Severity, SubjectType
from tests.common.db.core import BuyerFactory, SupplierFactory
from tests.common.db.flags import market

MANY = SUBJECT_FLAGS_SHOWN + 5


def _flag(db: Session, n: int, **links: object) -> Flag:
    flag = Flag(
        detector="buyer_dependency",
        subject_type=SubjectType.buyer_supplier,
        subject_key=f"test-{n}",
        subject_label=f"Dependent buyer {n:02}",
        severity=Severity.medium,
        status=FlagStatus.open,
        metrics={},
        rule="a rule",
        thresholds={},
        source="a source",
        **links,
    )
    db.add(flag)
    db.flush()
    return flag


def _labels(page: webtest.TestResponse) -> list[str]:
    table = page.html.select_one("table")  # the flags; the coverage table follows
    return (
        [row.select("td")[1].contents[0].text for row in table.select("tbody tr")]
        if table and table.caption.text.startswith("Flags")
        else []
    )


def test_supplier_page_lists_the_first_flags_and_links_to_all(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = SupplierFactory()
    other = SupplierFactory()
    for n in range(MANY):
        flag = _flag(db_session, n, group_id=supplier.group_id)
        db_session.add(FlagGroup(flag_id=flag.id, group_id=supplier.group_id))
    flag = _flag(db_session, 99, group_id=other.group_id)
    db_session.add(FlagGroup(flag_id=flag.id, group_id=other.group_id))
    db_session.flush()

    page = webtest_app.get(f"/suppliers/{supplier.id}")
    shown = page.html.select("#flags + table tbody tr")
    assert len(shown) == SUBJECT_FLAGS_SHOWN
    link = page.html.select_one("#all-subject-flags")
    assert link.text == "All the flags about this supplier group"
    everything = webtest_app.get(link["href"])
    assert f"Showing 1 to 25 of {MANY} flags" in everything.text
    assert "Dependent buyer 99" not in everything.text
    assert f"supplier group {supplier.group_id}" in everything.html.select_one("#flag-subject").text
    # The filter form keeps the record, so the other filters narrow its flags.
    assert everything.html.select_one('input[name="group_id"]')["value"] == str(supplier.group_id)

    few = webtest_app.get(f"/suppliers/{other.id}")
    assert len(few.html.select("#flags + table tbody tr")) == 1
    assert few.html.select_one("#all-subject-flags") is None


def test_flag_list_filters_by_buyer_framework_and_market(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory()
    _flag(db_session, 1, buyer_id=buyer.id, market_key="cpv-48814")
    _flag(db_session, 2, market_key="cpv-72200")
    assert _labels(webtest_app.get("/flags", {"buyer_id": buyer.id})) == ["Dependent buyer 01"]
    by_market = webtest_app.get("/flags", {"market_key": "cpv-72200"})
    assert _labels(by_market) == ["Dependent buyer 02"]
    none = webtest_app.get("/flags", {"framework_id": 123456})
    assert _labels(none) == [] and "No flags match these filters" in none.text
    for bad in ({"market_key": "nonsense"}, {"group_id": "x1"}):
        page = webtest_app.get("/flags", bad)
        assert "the filter was not used" in page.text
        assert len(_labels(page)) == 2


def test_market_page_lists_the_first_flags_and_links_to_all(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"EMIS": 6, "TPP": 4})
    for n in range(MANY):
        _flag(db_session, n, market_key="cpv-48814")
    # Raised last, listed first: it is about the market itself.
    about_market = _flag(db_session, 100, market_key="cpv-48814")
    about_market.subject_type = SubjectType.market
    about_market.subject_label = "The market itself"
    db_session.flush()
    page = webtest_app.get("/markets/cpv-48814")
    items = page.html.select("main ul.govuk-list--bullet li")
    assert len(items) == SUBJECT_FLAGS_SHOWN and "The market itself" in items[0].text
    assert page.html.select_one(".govuk-warning-text") is not None
    link = page.html.select_one("#all-market-flags")
    assert f"of {MANY + 1} flags" in webtest_app.get(link["href"]).text
