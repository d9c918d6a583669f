"""Issue 18: search finds suppliers by what they sell, buyers by their abbreviations, OR queries
on both backends, a compare basket carried in the URL, and a comparison officers can trust."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.flags.models import FlagGroup
from registry.frameworks.models import FrameworkStatus
from registry.search.documents import all_documents
from registry.search.postgres_backend import PostgresSearchService
from registry.search.whoosh_backend import WhooshSearchService
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
    SupplierGroupFactory,
)
from tests.common.db.search import a_score, gp_market, open_market_flag

GP_SUPPLIERS = {
    "EMIS Health",
    "TPP - The Phoenix Partnership (Leeds) Ltd",
    "In Practice Systems Ltd",
    "Microtest Ltd",
}


def supplier_titles(page: webtest.TestResponse) -> list[str]:
    return [a.text for a in page.html.select('ul[data-kind="supplier"] li > a.govuk-link')]


# -- search finds suppliers by what they sell -----------------------------------------------


def test_clinical_systems_ranks_the_gp_suppliers_first_on_whoosh(
    seeded_search: webtest.TestApp,
) -> None:
    page = seeded_search.get("/search", params={"q": "clinical systems", "kind": "supplier"})
    found = supplier_titles(page)
    assert set(found[:4]) == GP_SUPPLIERS, found
    # The fictional supplier named "Clinical Systems" sells nothing: it comes after them.
    assert "Example Clinical Systems Ltd (fictional)" in found[4:]


def test_clinical_systems_ranks_the_gp_suppliers_first_on_postgresql(
    seeded_db_session: Session,
) -> None:
    if seeded_db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend needs a PostgreSQL test database")
    results = PostgresSearchService(seeded_db_session).search(
        "clinical systems", filters={"kind": ["supplier"]}
    )
    found = [hit.document.title for hit in results.hits]
    assert set(found[:4]) == GP_SUPPLIERS, found
    assert "Example Clinical Systems Ltd (fictional)" in found[4:]


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request: Any, db_session: Session, tmp_path: Path) -> Any:
    if request.param == "postgresql" and db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend needs a PostgreSQL test database")

    def make() -> Any:
        if request.param == "postgresql":
            return PostgresSearchService(db_session)
        service = WhooshSearchService(tmp_path / "index")
        service.rebuild(all_documents(db_session, expunge=False))
        return service

    return make


def keys(results: Any) -> list[str]:
    return [hit.document.key for hit in results.hits]


def test_a_supplier_is_found_by_its_lot_title(backend: Any, db_session: Session) -> None:
    lot = LotFactory(title="Radiology picture archiving")
    seller = SupplierFactory(name="Zeta Imaging Ltd")
    SupplierFactory(name="Archiving Radiology Pictures Ltd")  # named so, sells nothing
    MembershipFactory(supplier=seller, lot=lot)
    db_session.flush()
    found = [k for k in keys(backend().search("radiology archiving")) if k.startswith("supplier")]
    assert found[0] == f"supplier:{seller.id}"


def test_or_queries_find_either_side(backend: Any, db_session: Session) -> None:
    market = gp_market()
    db_session.flush()
    service = backend()
    found = set(keys(service.search("systmone OR vision")))
    assert {f"supplier:{market.tpp.id}", f"supplier:{market.vision.id}"} <= found
    # A prefix on one side is an OR still, not an AND (PostgreSQL read it so).
    found = set(keys(service.search("systm* OR vision")))
    assert {f"supplier:{market.tpp.id}", f"supplier:{market.vision.id}"} <= found
    assert f"supplier:{market.emis.id}" not in found


def test_hmrc_finds_the_buyer(seeded_search: webtest.TestApp) -> None:
    page = seeded_search.get("/buyers", params={"q": "HMRC"})
    assert "HM Revenue and Customs" in page.text
    page = seeded_search.get("/buyers", params={"q": "hmrc"})
    assert "HM Revenue and Customs" in page.text


# -- the compare basket ---------------------------------------------------------------------


def basket_of(url: str) -> list[str]:
    return parse_qs(urlparse(url).query).get("basket", [])


def test_the_basket_persists_across_searches_and_survives_removing_one(
    webtest_app: webtest.TestApp, search_index: Any
) -> None:
    market = gp_market()
    search_index.rebuild()
    page = webtest_app.get("/search", params={"q": "EMIS"})
    page = webtest_app.get(page.html.select_one("a.app-basket-add")["href"])
    assert basket_of(page.request.url) == [str(market.emis.id)]
    # A new search from the form keeps the basket (hidden inputs, no cookie).
    form = page.forms[0]
    form["q"] = "systmone"
    page = form.submit()
    assert "EMIS Health Ltd" in page.html.select_one("#compare-basket").text
    page = webtest_app.get(page.html.select_one("a.app-basket-add")["href"])
    assert basket_of(page.request.url) == [str(market.emis.id), str(market.tpp.id)]
    compare = page.html.select_one("#compare-now")["href"]
    assert parse_qs(urlparse(compare).query)["ids"] == [str(market.emis.id), str(market.tpp.id)]
    # Remove EMIS: TPP stays.
    remove = page.html.select("#compare-basket a")[0]["href"]
    page = webtest_app.get(remove)
    assert basket_of(page.request.url) == [str(market.tpp.id)]
    assert "EMIS" not in page.html.select_one("#compare-basket").text
    assert not page.html.select_one("#compare-now")


def test_compare_from_a_supplier_page_starts_a_basket(
    webtest_app: webtest.TestApp, search_index: Any
) -> None:
    market = gp_market()
    search_index.rebuild()
    supplier_page = webtest_app.get(f"/suppliers/{market.emis.id}")
    page = webtest_app.get(supplier_page.html.select_one("#compare-link")["href"])
    assert "EMIS Health Ltd" in page.html.select_one("#compare-basket").text
    # Before any search: the suppliers on EMIS's lots, ready to add.
    same_lots = page.html.select_one("#same-lots").text
    assert "The Phoenix Partnership" in same_lots and "In Practice Systems Ltd" in same_lots
    form = page.forms[0]
    form["q"] = "vision"
    page = form.submit()
    page = webtest_app.get(page.html.select_one("a.app-basket-add")["href"])
    compared = webtest_app.get(page.html.select_one("#compare-now")["href"])
    headers = [th.text for th in compared.html.select("table.app-compare thead th")][1:]
    assert headers == ["EMIS Health Ltd", "In Practice Systems Ltd"]


def test_the_lot_page_links_to_compare_exactly_its_suppliers(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    SupplierFactory(name="Not on the lot Ltd")
    db_session.flush()
    page = webtest_app.get(f"/frameworks/{market.framework.reference}/lots/1")
    link = page.html.select_one("#compare-suppliers")["href"]
    assert sorted(parse_qs(urlparse(link).query)["ids"]) == sorted(
        str(s.id) for s in (market.emis, market.tpp, market.vision)
    )
    assert webtest_app.get(link).status_int == 200


# -- the comparison --------------------------------------------------------------------------


def test_compare_shows_a_duopoly_flag_linked_through_flag_groups(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    # About the market, not one group (no group_id): only flag_groups names the pair.
    flag = open_market_flag("Medical information systems duopoly")
    db_session.add(flag)
    db_session.flush()
    db_session.add_all(
        [FlagGroup(flag_id=flag.id, group_id=s.group_id) for s in (market.emis, market.tpp)]
    )
    db_session.flush()
    page = webtest_app.get("/compare", params={"ids": [market.emis.id, market.tpp.id]})
    for supplier in (market.emis, market.tpp):
        cell = page.html.select_one(f'td[data-flags="{supplier.id}"]').text
        assert "Medical information systems duopoly" in cell


def test_one_score_line_per_framework_with_a_sparkline_and_its_words(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    for year, value in ((2021, "60"), (2022, "65"), (2023, "72"), (2024, "78.5")):
        for framework_id in (None, market.framework.id):
            db_session.add(a_score(market.emis.id, value, year, framework_id))
    db_session.flush()
    page = webtest_app.get("/compare", params={"ids": [market.emis.id, market.tpp.id]})
    cell = page.html.select_one(f'td[data-scores="{market.emis.id}"]')
    lines = cell.select(".app-score-line")
    assert [line["data-framework"] for line in lines] == ["overall", "RM9999"]
    for line in lines:
        assert "78.5" in line.text and "70 to 84" in line.text
        assert "2021" not in line.text.split("(")[0]  # not four scores in the cell
        svg = line.select_one("svg.app-sparkline")
        assert len(svg.select_one("polyline")["points"].split()) == 4
        assert "4 scores from 2021 to 2024, rising" in svg["aria-label"]
        assert svg.select_one("title").text == svg["aria-label"]
    assert cell.select_one('a[href$="#scorecard-heading"]')


def test_obligations_grouped_by_framework_without_duplicates_and_ended_memberships(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    old = FrameworkFactory(
        reference="RM0001",
        title="Old GP systems",
        status=FrameworkStatus.expired,
        end_date=datetime.date(2018, 3, 31),
    )
    old_lot = LotFactory(framework=old, number="1", title="Old lot")
    group = SupplierGroupFactory(name="Second lot holder")
    del group
    MembershipFactory(supplier=market.emis, lot=old_lot)
    MembershipFactory(supplier=market.tpp, lot=old_lot)
    # The same obligation title on two frameworks, and EMIS on two lots of one framework.
    ObligationFactory(framework=old, title="GP Connect access record")
    second = LotFactory(framework=market.framework, number="2", title="Second lot")
    MembershipFactory(supplier=market.emis, lot=second)
    db_session.flush()
    page = webtest_app.get("/compare", params={"ids": [market.emis.id, market.tpp.id]})
    tables = page.html.select("table.app-compare-obligations")
    assert [t["data-framework"] for t in tables] == ["RM0001", "RM9999"]
    for table in tables:
        assert table.select_one("caption").text.startswith(table["data-framework"])
        titles = [th.text.split("\n")[0] for th in table.select("tbody th")]
        assert len(titles) == len(set(titles)), titles
    rm9999 = [th.contents[0] for th in tables[1].select("tbody th")]
    assert rm9999.count("GP Connect access record") == 1
    row = next(r for r in page.html.select("tr") if r.select_one("th") and "RM0001" in r.th.text)
    assert [" ".join(td.text.split()) for td in row.select("td")] == ["Ended 31 March 2018"] * 2


def test_a_supplier_is_found_by_the_name_of_its_lots_cpv_code(
    backend: Any, db_session: Session
) -> None:
    # The name of the longest known code a lot's code starts with: 48180000 is "Medical software
    # packages" (4818), not "Industry-specific software packages" (481) as well.
    medical = SupplierFactory(name="Alpha Ltd")
    industry = SupplierFactory(name="Beta Ltd")
    unnamed = SupplierFactory(name="Gamma Ltd")
    MembershipFactory(supplier=medical, lot=LotFactory(cpv_codes=["48180000-3"]))
    MembershipFactory(supplier=industry, lot=LotFactory(cpv_codes=["48100000"]))
    MembershipFactory(supplier=unnamed, lot=LotFactory(cpv_codes=None))  # no codes: no words
    db_session.flush()
    service = backend()
    found = keys(service.search("medical software"))
    assert f"supplier:{medical.id}" in found
    assert f"supplier:{industry.id}" not in found
    found = keys(service.search("industry"))
    assert f"supplier:{industry.id}" in found
    assert f"supplier:{medical.id}" not in found
    assert f"supplier:{unnamed.id}" not in keys(service.search("software"))
