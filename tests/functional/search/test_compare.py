"""/compare: 2 to 4 suppliers side by side, from published data."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.flags.models import Flag, FlagStatus, Severity, SubjectType
from registry.records import Publication
from registry.scoring.assessments.models import Rating
from registry.scoring.scores.models import Score
from tests.common.db.core import ContractFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory
from tests.common.db.search import gp_market


def cells(page: webtest.TestResponse, header: str) -> list[str]:
    for row in page.html.select("tr"):
        th = row.select_one("th")
        if th is not None and header in th.text:
            return [" ".join(td.text.split()) for td in row.select("td")]
    raise AssertionError(f"no row {header!r}")


def ids(*suppliers: Any) -> str:
    return ",".join(str(s.id) for s in suppliers)


def test_compares_two_suppliers_honestly_when_nothing_is_scored(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    page = webtest_app.get("/compare", params={"ids": ids(market.emis, market.tpp)})
    headers = [th.text for th in page.html.select("table.app-compare thead th")]
    assert headers[1:] == ["EMIS Health Ltd", "The Phoenix Partnership (Leeds) Ltd"]
    assert cells(page, "Scores") == ["Not yet scored", "Not yet scored"]
    assert cells(page, "Open lock-in flags") == ["No open flags", "No open flags"]
    assert cells(page, "RM9999 lot 1") == ["Active", "Active"]
    assert cells(page, "Bulk extract") == ["Not assessed", "Not assessed"]
    assert cells(page, "Companies House") == ["03378935", market.tpp.companies_house_number]


def test_shows_obligations_met_and_unmet_scores_and_open_flags(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market = gp_market()
    AssessmentFactory(
        contract=None,
        obligation_id=market.bulk.id,
        supplier_id=market.emis.id,
        buyer_id=None,
        framework_id=market.framework.id,
        kpi="Bulk extract",
        kpi_key=f"obligation:{market.bulk.id}",
        rating=Rating.inadequate,
    )
    AssessmentFactory(
        contract=None,
        obligation_id=market.bulk.id,
        supplier_id=market.tpp.id,
        buyer_id=None,
        framework_id=market.framework.id,
        kpi="Bulk extract",
        kpi_key=f"obligation:{market.bulk.id}:tpp",
        rating=Rating.good,
    )
    db_session.add(
        Score(
            supplier_id=market.tpp.id,
            framework_id=None,
            period="2024",
            period_end=datetime.date(2024, 12, 31),
            method_version="1",
            score=Decimal("81.5"),
            band_low=Decimal("74.0"),
            band_high=Decimal("88.0"),
            assessments_count=6,
            inputs={},
            breakdown="test",
        )
    )
    for status, label in ((FlagStatus.open, "GP systems market"), (FlagStatus.dismissed, "Old")):
        db_session.add(
            Flag(
                detector="market_concentration",
                subject_type=SubjectType.market,
                subject_key=f"cpv-{label}",
                subject_label=label,
                severity=Severity.high,
                status=status,
                metrics={"hhi": 4370},
                rule="HHI > 1800",
                thresholds={},
                source="DOJ/FTC 2023",
                group_id=market.emis.group_id,
            )
        )
    db_session.flush()
    page = webtest_app.get("/compare", params={"ids": ids(market.emis, market.tpp)})
    assert cells(page, "Bulk extract") == ["Unmet", "Met"]
    assert cells(page, "GP Connect") == ["Not assessed", "Not assessed"]
    scores = cells(page, "Scores")
    assert scores[0] == "Not yet scored"
    assert "81.5" in scores[1] and "between 74.0 and 88.0" in scores[1]
    flags = cells(page, "Open lock-in flags")
    assert "GP systems market" in flags[0] and "Old" not in flags[0]
    assert flags[1] == "No open flags"


def test_market_share_in_shared_markets_from_published_contracts(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    a = SupplierFactory(name="Alpha Clinical Ltd")
    b = SupplierFactory(name="Beta Clinical Ltd")
    other = SupplierFactory(name="Gamma Clinical Ltd")
    for supplier, value in ((a, "600"), (b, "300"), (other, "100")):
        ContractFactory(supplier=supplier, value_amount=Decimal(value), cpv_code="48180000")
    ContractFactory(  # a draft never counts
        supplier=b, value_amount=Decimal("5000"), cpv_code="48180000", publication=Publication.draft
    )
    ContractFactory(supplier=a, value_amount=Decimal("50"), cpv_code="72000000")  # not shared
    page = webtest_app.get("/compare", params={"ids": ids(a, b)})
    rows = page.html.select("table.app-compare-markets tbody tr")
    assert len(rows) == 1
    assert "48180" in rows[0].select_one("th").text
    assert [td.text.strip() for td in rows[0].select("td")] == ["60.0%", "30.0%"]


def test_reachable_from_search_checkboxes(webtest_app: webtest.TestApp, search_index: Any) -> None:
    market = gp_market()
    search_index.rebuild()
    page = webtest_app.get("/search", params={"q": "Ltd", "kind": "supplier"})
    form = next(f for f in page.forms.values() if f.action == "/compare")
    for field in form.fields["ids"]:
        if field._value in (str(market.emis.id), str(market.vision.id)):
            field.checked = True
    compared = form.submit()
    headers = [th.text for th in compared.html.select("table.app-compare thead th")][1:]
    assert sorted(headers) == ["EMIS Health Ltd", "In Practice Systems Ltd"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Choose between 2 and 4 suppliers"),
        ({"ids": "1"}, "you chose 1"),
        ({"ids": "1,2,3,4,5"}, "you chose 5"),
        ({"ids": "1,abc"}, "is not a supplier number"),
        ({"ids": "99999998,99999999"}, "No supplier numbered 99999998, 99999999"),
        ({"ids": "9" * 40 + ",1"}, "is not a supplier number"),
    ],
)
def test_bad_choices_get_a_clear_message(
    webtest_app: webtest.TestApp, params: dict[str, str], message: str
) -> None:
    page = webtest_app.get("/compare", params=params, status=400)
    assert message in page.html.select_one(".govuk-error-summary").text


def test_reachable_from_a_supplier_page(
    webtest_app: webtest.TestApp, db_session: Session, search_index: Any
) -> None:
    market = gp_market()
    search_index.rebuild()
    supplier_page = webtest_app.get(f"/suppliers/{market.emis.id}")
    search = webtest_app.get(supplier_page.html.select_one("#compare-link").attrs["href"])
    assert "EMIS Health Ltd" in search.html.select_one("#compare-basket").text
    form = search.forms[0]
    form["q"] = "systmone"
    results = form.submit()
    compare_form = next(f for f in results.forms.values() if f.action == "/compare")
    for field in compare_form.fields["ids"]:
        if getattr(field, "_value", None) == str(market.tpp.id):
            field.checked = True
    compared = compare_form.submit()
    headers = [th.text for th in compared.html.select("table.app-compare thead th")][1:]
    assert headers == ["EMIS Health Ltd", "The Phoenix Partnership (Leeds) Ltd"]
