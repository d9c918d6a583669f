"""Coverage on the pages, the API and the CSV: every subject a detector examined, in one of three
states; and how much of the data each figure on market, buyer and supplier pages could use."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.flags import coverage as registry_coverage
from registry.flags.detectors import load_settings
from registry.flags.models import Flag
from registry.flags.services import run_detection
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    SupplierFactory,
)
from tests.common.db.flags import market

REVIEW = "A flag is a reason to review, not proof of wrongdoing."


def _text(page: webtest.TestResponse) -> str:
    return " ".join(page.html.get_text(" ").split())


def _state_counts(page: webtest.TestResponse) -> dict[str, str]:
    return {cell["data-state"]: cell.text.strip() for cell in page.html.select("td[data-state]")}


def test_detector_page_lists_every_subject_in_its_state(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory()  # one buyer: one buyer-wide market, not applicable
    market({"A": 8, "B": 2}, cpv="48814000", buyer=buyer)  # flagged
    market({name: 1 for name in "CDEFGH"}, cpv="72500000", buyer=buyer)  # checked, not flagged
    for n in range(26):  # 26 markets too small to judge: two pages of not applicable
        market({f"S{n}": 1}, cpv=f"30{n:03d}000", buyer=buyer)
    run_detection(db_session, load_settings({}), ["market_concentration"])
    db_session.flush()
    flag = db_session.execute(
        sa.select(Flag).where(Flag.detector == "market_concentration")
    ).scalar_one()

    page = webtest_app.get("/flags/detectors/market_concentration")
    text = _text(page)
    assert REVIEW in text
    assert _state_counts(page) == {"flagged": "1", "checked": "1", "not_applicable": "27"}
    assert "Showing 1 to 25 of 29 subjects" in text
    first = page.html.select("tbody tr")[-25]
    assert "Flagged" in first.text and first.find("a", href=f"/flags/{flag.id}")

    page = webtest_app.get(
        "/flags/detectors/market_concentration", {"state": "not_applicable", "page": "2"}
    )
    assert "Showing 26 to 27 of 27 subjects" in _text(page)
    assert "fewer than 5 contracts (1)" in _text(page)
    buyer_wide = _text(
        webtest_app.get("/flags/detectors/market_concentration", {"state": "not_applicable"})
    ) + _text(page)
    assert f"All contracts of {buyer.name}" in buyer_wide
    assert "a buyer-wide market: judged by the buyer dependency detector" in buyer_wide
    page = webtest_app.get("/flags/detectors/market_concentration", {"state": "checked"})
    assert "Checked — not flagged" in _text(page) and "CPV 72500" in _text(page)
    page = webtest_app.get("/flags/detectors/market_concentration", {"state": "bogus"})
    assert "There is no state called 'bogus'" in _text(page)
    webtest_app.get("/flags/detectors/no_such_detector", status=404)

    listing = _text(webtest_app.get("/flags"))
    assert "What each detector examined (coverage)" in listing and REVIEW in listing
    detail = _text(webtest_app.get(f"/flags/{flag.id}"))
    assert REVIEW in detail
    assert "examined 29 markets: 1 flagged, 1 checked and not flagged, 27 not applicable" in detail

    market_page = _text(webtest_app.get("/markets/cpv-30001"))
    assert "Market concentration Not applicable fewer than 5 contracts (1)" in market_page


def test_coverage_in_the_api_and_the_csv(webtest_app: webtest.TestApp, db_session: Session) -> None:
    framework = FrameworkFactory(cpv_codes=["45000000"])  # not IT
    it = FrameworkFactory(cpv_codes=["48000000"])  # IT, no open-standard obligation
    run_detection(db_session, load_settings({}), ["proprietary_interfaces"])
    db_session.flush()

    detectors = webtest_app.get("/api/v1/detectors").json["data"]
    entry = next(d for d in detectors if d["id"] == "proprietary_interfaces")
    assert entry["coverage"]["flagged"] == 1 and entry["coverage"]["not_applicable"] == 1
    assert entry["declares_coverage"] is True and entry["method_version"] == "1"

    body = webtest_app.get(
        "/api/v1/detectors/proprietary_interfaces/coverage", {"state": "not applicable"}
    ).json
    (row,) = body["data"]
    assert row["subject"] == framework.reference and row["state"] == "not applicable"
    assert row["reason"] == "not an IT framework (no CPV 48, 72 or 302 code)"
    (flagged,) = webtest_app.get(
        "/api/v1/detectors/proprietary_interfaces/coverage", {"state": "flagged"}
    ).json["data"]
    flag = db_session.execute(sa.select(Flag).where(Flag.subject_key == it.reference)).scalar_one()
    assert flagged["flag_id"] == flag.id
    error = webtest_app.get(
        "/api/v1/detectors/proprietary_interfaces/coverage", {"state": "maybe"}, status=400
    ).json["error"]
    assert error["fields"][0]["field"] == "query.state"
    webtest_app.get("/api/v1/detectors/nothing/coverage", status=404)

    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/detector_coverage.csv").text)))
    states = {(r["detector"], r["subject_key"]): (r["state"], r["reason"]) for r in rows}
    assert states[("proprietary_interfaces", it.reference)] == ("flagged", "")
    assert states[("proprietary_interfaces", framework.reference)][0] == "not applicable"


def test_pages_say_how_much_of_the_data_each_figure_uses(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory()
    supplier = SupplierFactory()
    lot = LotFactory()
    common = {"buyer": buyer, "supplier": supplier, "cpv_code": "48814000"}
    ContractFactory(value_amount=Decimal(1000), **common)
    ContractFactory(value_amount=Decimal(3000), lot=lot, **common)
    ContractFactory(value_amount=None, currency=None, **common)
    ContractFactory(value_amount=Decimal(10**9), currency="AMD", **common)
    ContractFactory(
        value_amount=None,
        currency=None,
        ceiling_amount=Decimal(10**8),
        ceiling_currency="GBP",
        **common,
    )

    sentence = "use 2 of 5 published contracts: those with a value in pounds, worth £4,000."
    left_out = (
        "3 are left out: 2 without a value (1 of them framework agreements, whose value is a "
        "ceiling, not spend); 1 in another currency."
    )
    buyer_page = _text(webtest_app.get(f"/buyers/{buyer.id}"))
    assert sentence in buyer_page and left_out in buyer_page
    assert "5 published contracts, worth £4,000 in pounds" in buyer_page  # never £1bn of drams
    supplier_page = _text(webtest_app.get(f"/suppliers/{supplier.id}"))
    assert sentence in supplier_page and left_out in supplier_page
    group_page = _text(webtest_app.get(f"/suppliers/groups/{supplier.group_id}"))
    assert sentence in group_page

    market_page = _text(webtest_app.get("/markets/cpv-48814"))
    assert "Uses all 5 contracts: each counts its buyer, with or without a value." in market_page
    assert (
        "Uses 2 of 5 contracts; 2 lack a value (1 framework agreements: a ceiling, not spend), "
        "1 are in a currency other than GBP." in market_page
    )
    (api_market,) = [
        m for m in webtest_app.get("/api/v1/markets").json["data"] if m["key"] == "cpv-48814"
    ]
    assert (api_market["valued_contracts"], api_market["excluded_from_value"]) == (2, 3)


def test_checked_at_is_the_latest_run_everywhere(
    webtest_app: webtest.TestApp, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second run changes nothing: no coverage row is rewritten, yet the page, the API and
    # the CSV all say the subjects were checked by it.
    FrameworkFactory(cpv_codes=["48000000"])
    FrameworkFactory(cpv_codes=["45000000"])
    for hour in (9, 10):
        latest = datetime.datetime(2026, 1, 1, hour, 30, tzinfo=datetime.UTC)
        monkeypatch.setattr(registry_coverage, "utcnow", lambda when=latest: when)
        run_detection(db_session, load_settings({}), ["proprietary_interfaces"])
    db_session.flush()

    page = _text(webtest_app.get("/flags/detectors/proprietary_interfaces"))
    assert "Latest run: 1 January 2026 10:30 UTC" in page
    detectors = webtest_app.get("/api/v1/detectors").json["data"]
    entry = next(d for d in detectors if d["id"] == "proprietary_interfaces")
    assert entry["coverage"]["checked_at"] == latest.isoformat()
    assert entry["coverage"]["flagged"] == 1 and entry["coverage"]["not_applicable"] == 1
    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/detector_coverage.csv").text)))
    mine = [r for r in rows if r["detector"] == "proprietary_interfaces"]
    assert len(mine) == 2 and {r["checked_at"] for r in mine} == {latest.isoformat()}
    assert "changed_at" not in mine[0]  # the CSV's columns are as they were
