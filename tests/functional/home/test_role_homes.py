"""Each role's home (the signed-in `/`, issue 18): signing in lands there, each section holds the
user's own organisation's records and never another's, and an empty section says what to do."""

from __future__ import annotations

import datetime
from typing import Any

import webtest
from sqlalchemy.orm import Session

from registry.flags.models import FlagGroup, Severity, SubjectType
from registry.records import Publication
from registry.scoring.assessments.models import AssessmentStatus
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.common.db.flags import open_flag as flag
from tests.common.db.opendata import ImportFindingFactory, ImportRunFactory
from tests.common.db.scoring import AssessmentFactory
from tests.conftest import login

TODAY = datetime.datetime.now(datetime.UTC).date()


def assert_see_all_links_work(app: webtest.TestApp, page: webtest.TestResponse) -> int:
    """Every filtered list a home links to opens, its filters all used."""
    links = {a["href"] for a in page.html.find("main")("a") if "?" in a["href"]}
    for href in links:
        listing = app.get(href)
        assert listing.status_code == 200, href
        assert "not used" not in listing and "was not used" not in listing, href
    return len(links)


def home_of(app: webtest.TestApp, user: Any) -> webtest.TestResponse:
    page = login(app, user.email)
    assert page.request.path == "/"
    assert "<h1" in page and "Your work" in page.html.h1.text
    return page


def test_signing_in_lands_on_each_roles_home(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    buyer = BuyerFactory(name="Leeds City Council")
    supplier = SupplierFactory(name="Acme Systems Ltd")
    users = {
        "officer": make_user("officer", buyer_id=buyer.id),
        "auditor": make_user("auditor"),
        "supplier": make_user("supplier", supplier_id=supplier.id),
        "admin": make_user("admin"),
    }
    headings = {
        "officer": ["Your contracts", "Assessments sent back to you", "Assessments due"],
        "auditor": ["Review queue", "Contradictions", "Flags to triage", "Audit trail"],
        "supplier": ["Ratings awaiting your reply", "Your scorecard", "Flags naming your group"],
        "admin": ["Users", "API tokens", "Latest imports"],
    }
    for role, user in users.items():
        page = home_of(webtest_app, user)
        found = [h.text.strip() for h in page.html.find_all("h2")]
        for heading in headings[role]:
            assert any(h.startswith(heading) for h in found), (role, heading, found)
        # The header: "Your work" leads home, the name to the account page.
        header = page.html.find("header")
        assert header.find("a", string="Your work")["href"] == "/"
        account = page.click(href="^/account$", index=0)
        assert user.email in account and role.capitalize() in account
        webtest_app.reset()
    # Anonymous visitors still get the public home page.
    assert "Your work" not in webtest_app.get("/").html.h1.text


def test_an_officer_sees_only_their_own_buyers_work(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    mine, other = BuyerFactory(name="Buyer Alpha"), BuyerFactory(name="Buyer Beta")
    ContractFactory(buyer=mine, title="Alpha published contract")
    ContractFactory(buyer=mine, title="Alpha draft contract", publication=Publication.draft)
    ContractFactory(buyer=other, title="Beta draft contract", publication=Publication.draft)
    sent_back = dict(status=AssessmentStatus.challenged, review_reason="Evidence is missing")
    AssessmentFactory(contract=ContractFactory(buyer=mine), kpi="Alpha uptime", **sent_back)
    AssessmentFactory(contract=ContractFactory(buyer=other), kpi="Beta uptime", **sent_back)
    flag(db_session, "Alpha depends on one supplier", buyer_id=mine.id)
    flag(db_session, "Beta depends on one supplier", buyer_id=other.id)
    run = ImportRunFactory(source="alpha-releases.json")
    ContractFactory(buyer=mine, title="Imported contract", ocid="ocds-alpha-1", source="ocds")
    from registry.opendata.models import ImportRunOcid

    db_session.add(ImportRunOcid(run_id=run.id, ocid="ocds-alpha-1"))
    ImportRunFactory(source="beta-releases.json")
    db_session.flush()
    officer = make_user("officer", buyer_id=mine.id)

    page = home_of(webtest_app, officer)
    text = page.html.get_text()
    assert "Buyer Alpha" in text
    assert page.html.find("a", string="Record a contract")["href"] == "/contracts/new"
    # Drafts first, and never another buyer's.
    rows = [r.find("a").text for r in page.html.find(id="contracts").find_next("tbody")("tr")]
    assert rows[0] == "Alpha draft contract" and "Alpha published contract" in rows
    assert "Beta draft contract" not in text
    assert "Alpha uptime" in text and "Evidence is missing" in text and "Beta uptime" not in text
    assert "Alpha depends on one supplier" in text and "Beta depends" not in text
    assert "Buyer dependency, open" in " ".join(text.split())  # the detector's title
    assert "alpha-releases.json" in text and "beta-releases.json" not in text
    assert page.html.find("a", string="See your 1 draft")["href"] == (
        f"/contracts?buyer={mine.id}&status=draft"
    )
    assert assert_see_all_links_work(webtest_app, page) >= 3


def test_an_officer_with_nothing_is_told_what_to_do(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    buyer = BuyerFactory(name="Quiet Council")
    ContractFactory(title="Another buyer's contract")
    page = home_of(webtest_app, make_user("officer", buyer_id=buyer.id))
    text = " ".join(page.html.get_text().split())
    assert "Quiet Council has no contracts in the registry yet. Record one" in text
    assert "Nothing has been sent back" in text
    assert "No assessment is due or overdue" in text
    assert "No open lock-in flag names Quiet Council" in text
    assert "Another buyer's contract" not in text


def test_a_supplier_sees_only_its_own_ratings_and_flags(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    mine, other = SupplierFactory(name="Acme Ltd"), SupplierFactory(name="Other Ltd")
    waiting = dict(status=AssessmentStatus.submitted, reply_due=TODAY + datetime.timedelta(days=6))
    AssessmentFactory(contract=ContractFactory(supplier=mine), kpi="Acme uptime", **waiting)
    AssessmentFactory(contract=ContractFactory(supplier=other), kpi="Other uptime", **waiting)
    closed = dict(status=AssessmentStatus.submitted, reply_due=TODAY - datetime.timedelta(days=1))
    AssessmentFactory(contract=ContractFactory(supplier=mine), kpi="Acme closed", **closed)
    linked = flag(db_session, "Duopoly in clinical systems", subject_type=SubjectType.market)
    db_session.add(FlagGroup(flag_id=linked.id, group_id=mine.group_id))
    theirs = flag(db_session, "Other Ltd dominates", group_id=other.group_id)
    db_session.add(FlagGroup(flag_id=theirs.id, group_id=other.group_id))
    db_session.flush()

    page = home_of(webtest_app, make_user("supplier", supplier_id=mine.id))
    text = " ".join(page.html.get_text().split())
    assert "Reply about Acme uptime" in text and "(6 days left)" in text
    assert "Other uptime" not in text and "Acme closed" not in text
    assert "Duopoly in clinical systems" in text and "Other Ltd dominates" not in text
    assert "None of your published ratings has been scored yet" in text
    assert assert_see_all_links_work(webtest_app, page) >= 2

    # The Assessments list's "mine" filter: only this supplier's ratings.
    AssessmentFactory(contract=ContractFactory(supplier=other), kpi="Other published")
    AssessmentFactory(contract=ContractFactory(supplier=mine), kpi="Acme published")
    db_session.flush()
    everything = webtest_app.get("/assessments").html.get_text()
    assert "Other published" in everything and "Acme published" in everything
    listing = webtest_app.get("/assessments", {"mine": "1"})
    assert listing.html.find(id="mine").has_attr("checked")
    text = listing.html.get_text()
    assert "Acme published" in text and "Acme uptime" in text
    assert "Other published" not in text and "Other uptime" not in text


def test_a_supplier_with_nothing_waiting_is_told_so(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    page = home_of(webtest_app, make_user("supplier", supplier_id=SupplierFactory().id))
    text = " ".join(page.html.get_text().split())
    assert "No rating is waiting for your reply" in text
    assert "No open lock-in flag names your supplier group" in text


def test_the_auditors_home_shows_the_queue_by_age_and_flags_by_severity(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    now = datetime.datetime.now(datetime.UTC)
    AssessmentFactory(
        kpi="Old and actionable",
        status=AssessmentStatus.submitted,
        submitted_at=now - datetime.timedelta(days=20),
        reply_due=TODAY - datetime.timedelta(days=5),
    )
    AssessmentFactory(
        kpi="Still in its reply window",
        status=AssessmentStatus.submitted,
        submitted_at=now - datetime.timedelta(days=2),
        reply_due=TODAY + datetime.timedelta(days=8),
    )
    AssessmentFactory(kpi="Already published")
    flag(db_session, "A high flag", Severity.high)
    flag(db_session, "A low flag", Severity.low)
    page = home_of(webtest_app, make_user("auditor"))
    text = " ".join(page.html.get_text().split())
    assert "2 assessments wait for review; 1 can be acted on now" in text
    rows = [r.find("a").text for r in page.html.find(id="queue").find_next("tbody")("tr")]
    assert rows == ["Old and actionable", "Still in its reply window"]
    assert "Waiting over 14 days: 1" in text and "Waiting over 30 days: 0" in text
    assert "Already published" not in text
    severities = [
        " ".join(li.text.split()) for li in page.html.find(id="flags").find_next("ul")("li")
    ]
    assert severities == ["High: 1 open", "Medium: 0 open", "Low: 1 open"]
    flags = [r.find("a").text for r in page.html.find(id="flags").find_next("tbody")("tr")]
    assert flags == ["A high flag", "A low flag"]
    assert page.html.find("a", string="Open the audit trail")["href"] == "/audit"
    assert assert_see_all_links_work(webtest_app, page) >= 5


def test_the_auditors_empty_home(webtest_app: webtest.TestApp, make_user: Any) -> None:
    text = " ".join(home_of(webtest_app, make_user("auditor")).html.get_text().split())
    assert "No assessment is waiting for review" in text
    assert "No flag is open" in text


def test_the_admins_home_shows_imports_with_their_findings(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    run = ImportRunFactory(source="latest-package.json")
    ImportFindingFactory(run=run, rule="empty-string", count=7)
    ImportRunFactory(source="clean-package.json")
    admin = make_user("admin")
    page = home_of(webtest_app, admin)
    imports = page.html.find(id="imports").find_next("tbody")("tr")
    assert [r.find("a").text for r in imports] == ["clean-package.json", "latest-package.json"]
    assert imports[0].find_all("td")[-1].text.strip() == "None"
    assert "7 in 1 kind" in imports[1].get_text()
    assert page.html.find("a", string=admin.email)  # the newest users
    assert "No API token is in use" in page
    assert page.click(href="^/data/imports$", index=0).status_code == 200
