"""Markets beyond CPV and pounds through the real app: a non-CPV classification market in drams,
a buyer-wide market, the list's kinds, the API, the compare page, the stored figures, and the two
market detectors on them (issue 17)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.flags.models import CoverageState
from registry.markets.figures import refresh_market_figures, stored_market
from registry.markets.keys import MarketKey
from registry.markets.models import MarketFigures
from registry.suppliers.models import Supplier
from tests.common.db.core import BuyerFactory, ContractFactory
from tests.common.db.flags import coverage, detect, market
from tests.common.db.markets import (
    ClassificationFactory,
    classified_contract,
    classified_market,
)
from tests.functional.markets.test_market_figures import assert_same_as_live

DEPTH = 5


def _text(page: webtest.TestResponse) -> str:
    return " ".join(page.html.get_text(" ").split())


def drams_market() -> tuple[Any, dict[str, Any]]:
    """A UNSPSC market in drams (AMD), with two contracts valued in pounds left out."""
    segment = ClassificationFactory(scheme="UNSPSC", code="43", label="IT equipment (UNSPSC 43)")
    groups = classified_market({"Alpha": 6, "Beta": 2}, segment, value=Decimal(500_000))
    for _ in range(2):
        classified_contract(segment, groups["Beta"], 10**8, "GBP")
    return segment, groups


def test_a_market_in_drams_says_its_currency_and_what_it_left_out(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    segment, _groups = drams_market()
    page = webtest_app.get(f"/markets/cls-{segment.id}", {"basis": "value"})
    text = _text(page)
    assert (
        "IT equipment (UNSPSC 43)" in text and "UNSPSC 43" in page.html.select_one("h1").parent.text
    )
    currency = " ".join(page.html.select_one("#market-currency").text.split())
    assert currency.startswith("AMD: the currency of most of this market's valued contracts")
    assert "2 contracts valued in another currency are left out" in currency
    summary = _text(page).split("Shares of supplier groups")[0]
    assert "Value in AMD 4,000,000 AMD over 8 contracts" in summary
    assert "2 are in a currency other than AMD" in summary
    assert "£" not in summary and "pounds" not in summary
    header = [th.text for th in page.html.select("#group-shares thead th")]
    assert "Value (AMD)" in header
    leader = page.html.select_one("#group-shares tbody tr")
    # Alpha: 6 of 10 contracts' buyers, and 3,000,000 of the 4,000,000 drams (75%).
    assert leader.find("th").text == "Alpha" and "3,000,000 AMD" in leader.text
    assert "75.0%" in leader.text


def test_a_buyer_wide_market_and_the_buyer_page_linking_it(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory(name="Ministerio de Salud")
    market({"Acme": 6, "Bolt": 2}, cpv="72200000", buyer=buyer)
    ContractFactory(buyer=buyer, cpv_code=None, value_amount=Decimal(5), currency="COP")
    buyer_page = webtest_app.get(f"/buyers/{buyer.id}")
    link = buyer_page.html.select_one("#buyer-wide-market a")
    assert link["href"] == f"/markets/buyer-{buyer.id}"

    page = webtest_app.get(link["href"])
    text = _text(page)
    assert "All contracts of Ministerio de Salud" in page.html.select_one("h1").text
    assert "shares here are by number of contracts" in text
    header = [th.text for th in page.html.select("#group-shares thead th")]
    assert header[1:3] == ["Contracts", "Share by contracts"]
    leader = page.html.select_one("#group-shares tbody tr")
    assert leader.find("th").text == "Acme" and "66.7%" in leader.text  # 6 of 9 contracts
    summary = " ".join(page.html.select_one(".govuk-summary-list").text.split())
    assert "By number of contracts HHI" in summary
    assert "1 contract valued in another currency is left out" in summary  # the pesos
    webtest_app.get("/markets/buyer-999999", status=404)
    webtest_app.get("/markets/buyer-0", status=404)


def test_the_list_shows_markets_of_what_is_bought_unless_asked_for_buyer_wide_ones(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    drams_market()
    buyer = BuyerFactory(name="Ministerio de Salud")
    market({"Acme": 6, "Bolt": 2}, cpv="72200000", buyer=buyer)

    def labels(**params: str) -> list[str]:
        page = webtest_app.get("/markets", params)
        return [a.text for a in page.html.select("tbody tr td:first-child a")]

    default = labels()
    assert "IT equipment (UNSPSC 43)" in default and any("CPV 72200" in x for x in default)
    assert not any(x.startswith("All contracts of") for x in default)
    assert labels(kind="cls") == ["IT equipment (UNSPSC 43)"]
    assert labels(kind="buyer") == ["All contracts of Ministerio de Salud"]
    everything = labels(kind="all")
    assert "All contracts of Ministerio de Salud" in everything
    assert "IT equipment (UNSPSC 43)" in everything
    assert labels(kind="nonsense") == default  # an unknown choice: the default, never a 500


def test_the_api_lists_markets_by_kind_with_their_currency_and_count_basis(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    segment, _groups = drams_market()
    buyer = BuyerFactory()
    market({"Acme": 6, "Bolt": 2}, cpv="72200000", buyer=buyer)
    (cls,) = webtest_app.get("/api/v1/markets", {"kind": "cls"}).json["data"]
    assert (cls["key"], cls["kind"], cls["currency"], cls["count_basis"]) == (
        f"cls-{segment.id}",
        "cls",
        "AMD",
        "buyers",
    )
    assert (cls["total_value"], cls["valued_contracts"], cls["excluded_from_value"]) == (
        4_000_000,
        8,
        2,
    )
    default = {m["key"] for m in webtest_app.get("/api/v1/markets").json["data"]}
    assert f"cls-{segment.id}" in default and f"buyer-{buyer.id}" not in default
    (wide,) = [
        m
        for m in webtest_app.get("/api/v1/markets", {"kind": "buyer"}).json["data"]
        if m["key"] == f"buyer-{buyer.id}"
    ]
    assert (wide["count_basis"], wide["currency"], wide["contracts"]) == ("contracts", "GBP", 8)
    assert round(wide["hhi_buyers"]) == 6250  # 6 and 2 of 8 contracts
    bad = webtest_app.get("/api/v1/markets", {"kind": "pounds"}, status=400).json
    assert "kind" in str(bad)


def test_compare_shows_shares_in_a_classification_market_in_its_currency(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    segment, _groups = drams_market()
    alpha, beta = (
        db_session.execute(sa.select(Supplier.id).where(Supplier.name == name)).scalar_one()
        for name in ("Alpha Ltd", "Beta Ltd")
    )
    page = webtest_app.get("/compare", params={"ids": f"{alpha},{beta}"})
    row = next(
        r for r in page.html.select("table.app-compare-markets tbody tr") if "UNSPSC" in r.text
    )
    assert row.find("a")["href"] == f"/markets/cls-{segment.id}"
    assert "10 contracts, 4,000,000 AMD" in " ".join(row.text.split())
    shares = sorted(" ".join(td.text.split()) for td in row.select("td"))
    assert shares == ["25.0%", "75.0%"]  # of the drams; the pounds are not added in


def test_stored_figures_equal_the_live_ones_on_the_new_kinds(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    segment, _groups = drams_market()
    buyer = BuyerFactory()
    market({"Acme": 6, "Bolt": 2, "Core": 1}, cpv="72200000", buyer=buyer)
    ContractFactory(buyer=buyer, cpv_code=None, value_amount=Decimal(5), currency="COP")
    description = ClassificationFactory(scheme="", code="limpieza", label="Limpieza")
    classified_market({"Delta": 2}, description, value=None)
    refresh_market_figures(db_session, DEPTH)
    for key in (f"cls-{segment.id}", f"buyer-{buyer.id}", f"cls-{description.id}", "cpv-72200"):
        parsed = MarketKey.parse(key)
        assert parsed is not None
        assert_same_as_live(db_session, parsed)
    row = db_session.get(MarketFigures, f"cls-{segment.id}")
    assert row is not None and (row.currency, row.other_currency) == ("AMD", 2)
    unvalued = stored_market(db_session, MarketKey("cls", str(description.id)), DEPTH)
    assert unvalued is not None and unvalued.market.currency is None
    assert unvalued.use.no_value == 2
    page = webtest_app.get(f"/markets/cls-{description.id}", {"basis": "value"})
    currency = " ".join(page.html.select_one("#market-currency").text.split())
    assert currency == "None: no contract in this market states a value."
    assert "the publisher's description" in page.html.select_one(".govuk-caption-l").text
    assert "No shares by contract value to show: no contract in this market has a value." in (
        _text(page)
    )


def test_the_market_detectors_judge_a_classification_market_in_drams(
    db_session: Session,
) -> None:
    segment = ClassificationFactory(label="Medicamentos")
    # Ten groups of one contract each: by number of buyers, HHI 1,000, not concentrated. By
    # value in drams, Alpha holds 99%. A contract in pounds, worth far more, is left out.
    groups = classified_market({f"G{n}": 1 for n in range(9)}, segment, value=Decimal(10_000))
    classified_market({"Alpha": 1}, segment, value=Decimal(9_000_000))
    classified_contract(segment, groups["G0"], 10**9, "GBP")
    key = f"cls-{segment.id}"
    concentration = detect(db_session, "market_concentration")[key]
    assert concentration.metrics["basis"] == "value"
    assert concentration.metrics["currency"] == "AMD"
    assert concentration.metrics["hhi"] > 9_000
    assert concentration.metrics["excluded_from_value"] == 1
    monopoly = detect(db_session, "monopoly_duopoly")[key]
    assert (monopoly.metrics["pattern"], monopoly.metrics["holders"]) == ("monopoly", ["Alpha"])
    assert monopoly.metrics["currency"] == "AMD"
    for detector in ("market_concentration", "monopoly_duopoly"):
        rows = coverage(db_session, detector)
        assert rows[key].state == CoverageState.flagged
        assert rows[key].method_version == "2"


def test_market_detectors_say_which_currency_they_lacked_values_in(db_session: Session) -> None:
    segment = ClassificationFactory()
    classified_market({f"G{n}": 1 for n in range(6)}, segment, value=None)
    classified_market({"Alpha": 1, "Beta": 1}, segment, value=Decimal(7), currency="COP")
    detect(db_session, "market_concentration")
    row = coverage(db_session, "market_concentration")[f"cls-{segment.id}"]
    assert row.state == CoverageState.checked
    assert row.reason == (
        "only 2 of 8 contracts have a value in COP, the market's currency: judged by number of "
        "buyers only"
    )


def test_the_markets_download_has_every_kind_in_its_own_currency(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    segment, _groups = drams_market()
    buyer = BuyerFactory(name="Ministerio de Salud")
    market({"Acme": 6, "Bolt": 2}, cpv="48814000", buyer=buyer)
    refresh_market_figures(db_session, DEPTH)
    rows = {
        row["market_key"]: row
        for row in csv.DictReader(io.StringIO(webtest_app.get("/data/markets.csv").text))
    }
    drams = rows[f"cls-{segment.id}"]
    assert (drams["kind"], drams["label"], drams["currency"], drams["other_currency"]) == (
        "cls",
        "IT equipment (UNSPSC 43)",
        "AMD",
        "2",
    )
    assert float(drams["value_total"]) == 4_000_000 and drams["count_basis"] == "buyers"
    wide = rows[f"buyer-{buyer.id}"]
    assert (wide["label"], wide["count_basis"], wide["currency"]) == (
        "All contracts of Ministerio de Salud",
        "contracts",
        "GBP",
    )
    assert round(float(wide["count_hhi"])) == 6250
    assert rows["cpv-48814"]["label"] == "Medical information systems (CPV 48814)"
    as_json = webtest_app.get("/data/markets.json").json
    assert {row["market_key"] for row in as_json} == set(rows)
