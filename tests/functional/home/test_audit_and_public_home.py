"""The audit trail's filters and words (issue 18), and the public home page's figures and the
About page."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.markets.figures import refresh_market_figures
from registry.markets.models import MarketFigures
from tests.common.db.core import ContractFactory, SupplierFactory
from tests.common.db.flags import market
from tests.common.db.flags import open_flag as flag
from tests.common.db.opendata import ImportRunFactory
from tests.common.db.scoring import AssessmentFactory

TODAY = datetime.datetime.now(datetime.UTC).date()


def rows(page: webtest.TestResponse) -> list[list[str]]:
    body = page.html.find("tbody")
    if body is None:
        return []
    return [[" ".join(td.get_text().split()) for td in tr("td")] for tr in body("tr")]


def test_the_audit_trail_filters_names_and_links(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    a = AssessmentFactory()
    supplier = SupplierFactory(name="Trail Supplier")
    record_event(
        db_session,
        action="assessment.publish",
        subject_type="assessment",
        subject_id=a.id,
        actor_label="alice@example.org",
    )
    record_event(
        db_session,
        action="supplier.updated",
        subject_type="supplier",
        subject_id=supplier.id,
        actor_label="cli",
    )
    officer = make_user("officer", buyer_id=a.buyer_id)
    record_event(
        db_session,
        action="assessment.submit",
        subject_type="assessment",
        subject_id=a.id,
        actor=officer,
    )
    db_session.commit()
    auditor = login_as("auditor")
    everything = webtest_app.get("/audit")
    assert any(r[3] == "Assessment published" for r in rows(everything))
    assert all("assessment.publish" not in r for r in rows(everything))
    link = everything.html.find("a", string=f"Assessment {a.id}")
    assert link["href"] == f"/assessments/{a.id}"
    assert everything.html.find("a", string=f"Supplier {supplier.id}")["href"] == (
        f"/suppliers/{supplier.id}"
    )
    total = len(rows(everything))
    submitted = next(r for r in rows(everything) if r[3] == "Assessment submitted")
    assert submitted[2] == f"{officer.email} (an officer of {a.contract.buyer.name})"

    def shown(**params: str) -> list[list[str]]:
        page = webtest_app.get("/audit", params)
        assert page.status_code == 200 and "Some filters were not used" not in page
        return rows(page)

    by_type = shown(subject_type="supplier")
    assert by_type and all(r[4].startswith("Supplier ") for r in by_type)
    assert len(by_type) < total
    one_record = shown(subject_type="assessment", subject_id=str(a.id))
    assert [r[3] for r in one_record] == ["Assessment submitted", "Assessment published"]
    assert {r[4] for r in one_record} == {f"Assessment {a.id}"}
    assert [r[3] for r in shown(actor="ALICE@")] == ["Assessment published"]
    assert [r[3] for r in shown(action="supplier.updated")] == ["Supplier updated"]
    assert len(shown(date_from=TODAY.isoformat(), date_to=TODAY.isoformat())) == total
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert shown(date_from=tomorrow.isoformat()) == []
    assert shown(date_to=(TODAY - datetime.timedelta(days=1)).isoformat()) == []

    bad = webtest_app.get("/audit", {"date_from": "2024-02-30", "action": "no.such"})
    assert bad.status_code == 200 and bad.html.title.text.startswith("Error:")
    summary = bad.html.find(class_="govuk-error-summary")
    assert summary.find("a", href="#date_from").text == (
        "Date from must be a real date, like 2024-03-31"
    )
    assert summary.find("a", href="#action").text == "Action must be one of the actions listed"
    assert len(rows(bad)) == total  # the bad filters were not used
    # The account page links the auditor's own actions.
    account = webtest_app.get("/account")
    assert account.html.find("a", href=f"/audit?actor={auditor.email.replace('@', '%40')}")


def test_the_audit_trail_is_for_auditors_and_linked_for_them(
    webtest_app: webtest.TestApp, login_as: Any
) -> None:
    assert webtest_app.get("/audit", expect_errors=True).status_code in (302, 303, 403)
    login_as("officer", buyer_id=ContractFactory().buyer_id)
    assert webtest_app.get("/audit", expect_errors=True).status_code == 403
    assert not webtest_app.get("/").html.find("header").find("a", href="/audit")
    webtest_app.reset()
    login_as("auditor")
    home = webtest_app.get("/")
    assert home.html.find("header").find("a", href="/audit").text.strip() == "Audit trail"
    assert home.click(description="Open the audit trail").status_code == 200


def test_the_public_home_reads_stored_figures_and_links_them(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"EMIS": 6, "TPP": 4}, cpv="48814000")
    market({f"G{n}": 2 for n in range(5)}, cpv="72200000")
    market({"Tiny": 2}, cpv="30200000")  # too few contracts to judge
    refresh_market_figures(db_session, 5)
    # Stored, not recomputed: a figure changed in the table is what the page shows.
    db_session.execute(
        sa.update(MarketFigures)
        .where(MarketFigures.market_key == "cpv-72200")
        .values(buyers_hhi=9876.0)
    )
    flag(db_session, "One", detector="market_concentration")
    flag(db_session, "Two", detector="market_concentration")
    flag(db_session, "Three")
    ImportRunFactory(source="newest-file.json")
    db_session.commit()

    page = webtest_app.get("/")
    markets = page.html.find(id="markets").find_next("tbody")("tr")
    keys = [r.find("a")["href"] for r in markets]
    assert keys == ["/markets/cpv-72200", "/markets/cpv-48814"]
    assert "9,876" in markets[0].get_text()
    assert "/markets/cpv-30200" not in page
    detectors = page.html.find(id="flags").find_next("ul")("li")
    assert " ".join(detectors[0].get_text().split()).endswith(": 2 open")
    assert detectors[0].find("a")["href"] == "/flags/detectors/market_concentration"
    assert page.html.find("a", string="newest-file.json")
    assert page.click(description="newest-file.json").status_code == 200
    assert page.click(description="See every assessment due soon").status_code == 200
    assert page.click(href="^/markets/cpv-72200$").status_code == 200


def test_the_public_home_when_nothing_is_stored(webtest_app: webtest.TestApp) -> None:
    text = " ".join(webtest_app.get("/").html.get_text().split())
    assert "No market figures are stored yet" in text
    assert "No lock-in flag is open" in text
    assert "No open data has been imported yet" in text


def test_the_about_page_says_what_the_registry_is_and_how_its_numbers_are_made(
    webtest_app: webtest.TestApp,
) -> None:
    home = webtest_app.get("/")
    about = home.click(description="About the registry", index=0)
    assert about.request.path == "/about"
    headings = [h.text for h in about.html.find_all("h2")]
    assert headings[:3] == ["What it is", "Where its data comes from", "How its numbers are made"]
    for target in ("/methodology", "/assessment-clocks#rules", "/data/imports", "/flags"):
        assert about.html.find("a", href=target), target
    assert about.click(href="^/methodology$").status_code == 200
