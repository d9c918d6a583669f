"""Framework money: ceilings are kept apart from call-off values; spend is the sum of call-offs;
each lot and framework shows its ceiling use, in the pages, the API and the CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.frameworks.models import Framework
from registry.opendata.importer import import_file
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory
from tests.conftest import SHARED_DATA


def _text(page: webtest.TestResponse) -> str:
    return " ".join(page.html.get_text(" ").split())


def _post_form(page: webtest.TestResponse) -> webtest.Form:
    return next(f for f in page.forms.values() if f.method.lower() == "post")


def test_lot_and_framework_pages_api_and_csv_show_ceiling_use(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    framework = FrameworkFactory(
        reference="RM7", ceiling_amount=Decimal(10_000_000), ceiling_currency="GBP"
    )
    lot = LotFactory(
        framework=framework, number="1", ceiling_amount=Decimal(2_000_000), ceiling_currency="GBP"
    )
    LotFactory(framework=framework, number="2")
    for value, currency in ((Decimal(300_000), "GBP"), (Decimal(200_000), "GBP"), (None, None)):
        ContractFactory(lot=lot, value_amount=value, currency=currency)
    ContractFactory(lot=lot, value_amount=Decimal(9_000_000), currency="EUR")

    page = _text(webtest_app.get("/frameworks/RM7/lots/1"))
    assert "Ceiling £2,000,000" in page
    assert "Call-off spend £500,000" in page
    assert "the sum of 2 published call-offs with a value in pounds, of 4 on the lot" in page
    assert "2 without a value in pounds are not counted" in page
    assert "Ceiling use 25.0% of the ceiling called off" in page

    page = _text(webtest_app.get("/frameworks/RM7"))
    assert "Ceiling £10,000,000" in page and "Ceiling use 5.0%" in page
    assert "Lot 2: Lot" in page and "Not recorded" in page  # a lot without a ceiling

    (data,) = webtest_app.get("/api/v1/frameworks").json["data"]
    assert data["ceiling_amount"] == 10_000_000 and data["call_off_value_gbp"] == 500_000
    assert data["call_off_contracts"] == 4 and data["ceiling_use"] == 0.05
    lot_json = next(item for item in data["lots"] if item["number"] == "1")
    assert lot_json["ceiling_use"] == 0.25 and lot_json["call_offs_valued_gbp"] == 2

    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/lots.csv").text)))
    (row,) = [r for r in rows if r["id"] == str(lot.id)]
    assert (row["ceiling_amount"], row["ceiling_currency"]) == ("2000000.00", "GBP")
    assert (row["call_off_value_gbp"], row["call_off_contracts"]) == ("500000.00", "4")
    (row,) = csv.DictReader(io.StringIO(webtest_app.get("/data/frameworks.csv").text))
    assert (row["ceiling_amount"], row["call_off_value_gbp"]) == ("10000000.00", "500000.00")


def test_admin_sets_a_ceiling_and_bad_ceilings_are_refused(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    lot = LotFactory(framework=FrameworkFactory(reference="RM8"), number="1")
    form = _post_form(webtest_app.get("/frameworks/RM8/lots/1/edit"))
    form["ceiling_amount"] = "£1,500,000"
    page = form.submit(status=400)
    assert (
        "Enter the currency of the ceiling" in page.html.select_one("#ceiling_currency-error").text
    )
    form = _post_form(page)
    form["ceiling_currency"] = "QQQ"
    page = form.submit(status=400)
    assert "not an ISO 4217 code" in page.html.select_one("#ceiling_currency-error").text
    form = _post_form(page)
    form["ceiling_amount"], form["ceiling_currency"] = "lots", "GBP"
    page = form.submit(status=400)
    assert "Ceiling must be a number" in page.html.select_one("#ceiling_amount-error").text
    db_session.refresh(lot)
    assert lot.ceiling_amount is None  # nothing written
    form = _post_form(page)
    form["ceiling_amount"] = "1,500,000"
    form.submit(status=303)
    db_session.refresh(lot)
    assert (lot.ceiling_amount, lot.ceiling_currency) == (Decimal(1_500_000), "GBP")
    (event,) = db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "lot.updated")
    ).scalars()
    assert event.after["ceiling_amount"] in ("1500000.00", 1500000.0, "1500000")

    form = _post_form(webtest_app.get("/frameworks/RM8/edit"))
    form["ceiling_amount"], form["ceiling_currency"] = "250000000", "gbp"
    form.submit(status=303)
    framework = db_session.execute(
        sa.select(Framework).where(Framework.reference == "RM8")
    ).scalar_one()
    db_session.refresh(framework)
    assert (framework.ceiling_amount, framework.ceiling_currency) == (Decimal(250_000_000), "GBP")


def test_seeded_frameworks_have_ceilings_apart_from_spend(
    seeded_webtest_app: webtest.TestApp,
) -> None:
    page = _text(seeded_webtest_app.get("/frameworks/RM6100"))
    assert "Ceiling £3,500,000,000" in page
    assert "Call-off spend £53,450,000" in page  # the sum of call-offs, not of the ceiling
    assert "Ceiling use 1.5% of the ceiling called off" in page
    page = _text(seeded_webtest_app.get("/frameworks/RM6100/lots/1"))
    assert "Ceiling £100,000,000" in page and "Call-off spend £450,000" in page


def test_ocds_framework_agreements_land_as_ceilings_not_spend(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    folder = SHARED_DATA / "uk-contracts-finder-2025"
    for path in (folder / "release-package-2025-01-23.json", folder / "releases.jsonl"):
        import_file(db_session, path, path.name)
    db_session.flush()
    # ESPO's "215_24 Specialist Vehicles" framework: £400m shared by its suppliers.
    espo = list(
        db_session.execute(sa.select(Contract).where(Contract.ocid.like("%443a0af1ba82"))).scalars()
    )
    assert len(espo) == 34  # 35 named, one twice
    assert {(c.value_amount, c.ceiling_amount, c.ceiling_currency) for c in espo} == {
        (None, Decimal(400_000_000), "GBP")
    }
    # A call-off from a framework agreement stays spend.
    call_off = db_session.execute(
        sa.select(Contract).where(
            Contract.ocid == "ocds-b5fd17-6b5d499c-3804-4496-9f22-2c8551e9912d"
        )
    ).scalar_one()
    assert (call_off.value_amount, call_off.ceiling_amount) == (Decimal(3_000_000), None)
    spend = db_session.execute(sa.select(sa.func.sum(Contract.value_amount))).scalar_one()
    assert spend < Decimal(400_000_000)  # no ceiling counted as spend
    contract_page = _text(webtest_app.get(f"/contracts/{espo[0].id}"))
    assert "Framework ceiling £400,000,000" in contract_page
    buyer = espo[0].buyer_id
    page = _text(webtest_app.get(f"/buyers/{buyer}"))
    assert "34 of them framework agreements, whose value is a ceiling, not spend" in page
