"""The market pages through the real app: list, sorting, one market with its charts and tables."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import webtest
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.services import run_detection
from registry.markets.services import list_market_leaders, list_markets
from tests.common.db.core import ContractFactory, LotFactory, SupplierFactory
from tests.common.db.flags import market


def test_markets_list_shows_hhi_cr2_and_leading_groups(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    market({"Alpha": 5, "Beta": 5, "Gamma": 5, "Delta": 5}, cpv="72200000")
    page = webtest_app.get("/markets")
    rows = page.html.select("tbody tr")
    assert "Medical information systems (CPV 48814)" in rows[0].text  # highest HHI first
    assert "4,374" in rows[0].text and "90.0%" in rows[0].text
    assert "EMIS (56.0%), TPP (34.0%)" in " ".join(rows[0].text.split())
    assert "2,500" in rows[1].text
    ascending = webtest_app.get("/markets", {"sort": "hhi", "order": "asc"})
    assert "CPV 72200" in ascending.html.select("tbody tr")[0].text
    by_name = webtest_app.get("/markets", {"sort": "name", "order": "asc"})
    assert "Medical" in by_name.html.select("tbody tr")[0].text


def test_markets_too_small_to_judge_are_left_out_unless_asked(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"A": 3, "B": 2})
    market({"Solo": 1}, cpv="72300000")
    page = webtest_app.get("/markets")
    assert "CPV 72300" not in page.html.find("tbody").text
    assert "1 market with fewer than 5 contracts is not shown" in page.text
    everything = webtest_app.get("/markets", {"small": "1"})
    solo = [row for row in everything.html.select("tbody tr") if "CPV 72300" in row.text]
    assert solo and "High" not in solo[0].text  # 10,000, but too small to call concentrated


def test_markets_list_when_there_are_no_contracts(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/markets", {"sort": "nonsense", "basis": "<x>", "page": "-3"})
    assert "There are no published contracts yet" in page.text


def test_market_page_has_accessible_charts_with_their_tables(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"EMIS": 6, "TPP": 4}, award_date=datetime.date(2019, 4, 1))
    market({"Vision": 10}, award_date=datetime.date(2021, 4, 1))
    page = webtest_app.get("/markets/cpv-48814")
    svgs = page.html.select("svg.registry-chart")
    assert len(svgs) == 2
    for svg in svgs:
        assert svg["role"] == "img"
        assert svg.find("title").text.strip()
        assert "style" not in svg.attrs
    assert len(page.html.select("rect.registry-chart__bar")) == 3
    assert page.html.select("polyline.registry-chart__line")
    years = [row.find("th").text for row in page.html.select("table")[-1].select("tbody tr")]
    assert years == ["2019", "2021"]
    assert "5,200" in page.text  # 2019: 60% and 40% of buyers
    assert "10,000" in page.text  # 2021: one group
    assert not re.search(r'style="', page.text)


def test_market_page_says_what_value_shares_leave_out(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    groups = market({"A": 3, "B": 2})
    ContractFactory(
        supplier=SupplierFactory(group=groups["A"]),
        cpv_code="48814000",
        value_amount=Decimal(5000),
        currency="EUR",
    )
    ContractFactory(
        supplier=SupplierFactory(group=groups["B"]), cpv_code="48814000", value_amount=None
    )
    page = webtest_app.get("/markets/cpv-48814", {"basis": "value"})
    assert "2 contracts" in page.text
    assert "left out of the value shares" in page.text


def test_market_of_a_lot_and_unknown_markets(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    lot = LotFactory(title="GP clinical systems")
    market({"A": 3, "B": 3}, lot=lot)
    page = webtest_app.get(f"/markets/lot-{lot.id}")
    assert "GP clinical systems" in page.text
    assert lot.framework.reference in page.text
    for key in ("cpv-99999", "cpv-488", "nonsense", "lot-999999", "cpv-48814%25"):
        webtest_app.get(f"/markets/{key}", status=404)


def test_market_page_links_its_flags(webtest_app: webtest.TestApp, db_session: Session) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    run_detection(db_session, load_settings({}))
    page = webtest_app.get("/markets/cpv-48814")
    warning = page.html.select_one(".govuk-warning-text").text
    assert "monopoly or duopoly (duopoly): EMIS and TPP" in " ".join(warning.split())
    assert "market concentration" in warning


def test_market_leaders_figured_in_sql_match_the_full_computation(db_session: Session) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1, "Tiny": 1, "Other": 2})
    market({"Alpha": 5, "Beta": 5, "Gamma": 5}, cpv="72200000", value=None)
    lot = LotFactory()
    supplier = SupplierFactory()
    for amount in ("10.00", "30.00", "60.00"):
        ContractFactory(lot=lot, supplier=supplier, value_amount=Decimal(amount))
    full = {m.key: m for m in list_markets(db_session, 5)}
    leaders = {m.key: m for m in list_market_leaders(db_session, 5)}
    assert leaders.keys() == full.keys() and len(full) == 4  # the lot's contracts: a CPV market too
    for key, market_ in full.items():
        summary = leaders[key]
        assert (summary.label, summary.framework_id) == (market_.label, market_.framework_id)
        assert (summary.contracts, summary.valued_contracts) == (
            market_.contracts,
            market_.valued_contracts,
        )
        for basis in ("by_buyers", "by_value"):
            got, want = getattr(summary, basis), getattr(market_, basis)
            assert got.as_metrics() == want.as_metrics(), (key, basis)
            assert got.participants == want.participants
            assert [(s.key, s.share) for s in got.shares] == [
                (s.key, s.share) for s in want.shares[:4]
            ]
        assert [g.name for g in summary.groups[:4]] == [g.name for g in market_.groups[:4]]


def test_market_page_lists_the_groups_a_page_at_a_time_largest_first(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    # 27 groups: "Group 01" has the most buyers, "Group 27" the fewest (one each from 27 down).
    market({f"Group {n:02}": 28 - n for n in range(1, 28)}, cpv="48814000")
    db_session.flush()

    first = webtest_app.get("/markets/cpv-48814")
    names = [th.text for th in first.html.select("#group-shares tbody th")]
    assert names == [f"Group {n:02}" for n in range(1, 26)]
    assert "Showing 1 to 25 of 27 supplier groups" in first.text
    # Shares are of every group, not of those shown: 27 of 378 buyers (of 375 it would be 7.2%).
    leader = first.html.select_one("#group-shares tbody tr")
    assert [td.text for td in leader.select("td")][:2] == ["27", "7.1%"]

    second = webtest_app.get("/markets/cpv-48814", {"page": "2"})
    names = [th.text for th in second.html.select("#group-shares tbody th")]
    assert names == ["Group 26", "Group 27"]
    assert "Showing 26 to 27 of 27 supplier groups" in second.text
