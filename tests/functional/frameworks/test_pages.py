"""The public framework pages: the list (sorting, filters, pagination, counts, empty state), a
framework's page and a lot's page, through the real app."""

from __future__ import annotations

import datetime
from decimal import Decimal

import webtest
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.frameworks.models import (
    FrameworkStatus,
    FrameworkStatusChange,
    KPIDirection,
    MembershipStatus,
    MembershipStatusChange,
    ObligationCategory,
)
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)


def _references(page: webtest.TestResponse) -> list[str]:
    return [row.select("td")[0].text.strip() for row in page.html.select("tbody tr")]


def test_empty_list_says_so(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/frameworks")
    assert "No frameworks are recorded yet." in page.text
    assert "Record a framework" not in page.text  # the public cannot


def test_list_sorts_both_ways(webtest_app: webtest.TestApp, db_session: Session) -> None:
    FrameworkFactory.create(
        reference="RM3",
        title="Alpha",
        start_date=datetime.date(2019, 1, 1),
        end_date=None,  # live still: a past end date would show it expired
        status=FrameworkStatus.live,
    )
    FrameworkFactory.create(
        reference="RM1",
        title="Charlie",
        start_date=datetime.date(2021, 1, 1),
        end_date=None,
        status=FrameworkStatus.coming,
    )
    FrameworkFactory.create(
        reference="RM2", title="Bravo", start_date=None, status=FrameworkStatus.expired
    )
    assert _references(webtest_app.get("/frameworks")) == ["RM1", "RM2", "RM3"]
    assert _references(webtest_app.get("/frameworks?sort=reference&order=desc")) == [
        "RM3",
        "RM2",
        "RM1",
    ]
    assert _references(webtest_app.get("/frameworks?sort=title")) == ["RM3", "RM2", "RM1"]
    # Status sorts in lifecycle order, not alphabetically.
    assert _references(webtest_app.get("/frameworks?sort=status")) == ["RM1", "RM3", "RM2"]
    # Frameworks without a start date come last either way.
    assert _references(webtest_app.get("/frameworks?sort=start")) == ["RM3", "RM1", "RM2"]
    assert _references(webtest_app.get("/frameworks?sort=start&order=desc")) == [
        "RM1",
        "RM3",
        "RM2",
    ]
    # An unknown sort falls back to the reference.
    assert _references(webtest_app.get("/frameworks?sort=evil")) == ["RM1", "RM2", "RM3"]


def test_list_filters_by_status_and_owner(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    # Live frameworks without an end date: one past its end would be shown (and found) expired.
    FrameworkFactory.create(
        reference="RM1", status=FrameworkStatus.live, owner_body="CCS", end_date=None
    )
    FrameworkFactory.create(reference="RM2", status=FrameworkStatus.expired, owner_body="CCS")
    FrameworkFactory.create(
        reference="NHS1", status=FrameworkStatus.live, owner_body="NHS England", end_date=None
    )
    FrameworkFactory.create(
        reference="RM9", retracted_at=utcnow(), retraction_reason="Duplicate", owner_body="CCS"
    )
    assert _references(webtest_app.get("/frameworks?status=live")) == ["NHS1", "RM1"]
    assert _references(webtest_app.get("/frameworks?owner=CCS")) == ["RM1", "RM2"]
    assert _references(webtest_app.get("/frameworks?owner=CCS&status=live")) == ["RM1"]
    # Retracted frameworks are kept, and listed when asked for.
    assert _references(webtest_app.get("/frameworks?status=retracted")) == ["RM9"]
    page = webtest_app.get("/frameworks?status=nonsense&owner=Nobody")
    assert "Status must be one of the statuses listed" in page.text
    assert "Owner must be one of the owners listed" in page.text
    assert _references(page) == ["NHS1", "RM1", "RM2"]
    empty = webtest_app.get("/frameworks?status=pending")
    assert "No frameworks match these filters" in empty.text


def test_list_counts_live_lots_and_suppliers(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    lot1 = LotFactory.create(framework=framework, number="1")
    lot2 = LotFactory.create(framework=framework, number="2")
    LotFactory.create(framework=framework, number="3", retracted_at=utcnow())
    both = SupplierFactory.create()
    MembershipFactory.create(lot=lot1, supplier=both)
    MembershipFactory.create(lot=lot2, supplier=both)
    MembershipFactory.create(lot=lot2)
    MembershipFactory.create(lot=lot2, status=MembershipStatus.removed)
    row = webtest_app.get("/frameworks").html.select("tbody tr")[0]
    cells = [td.text.strip() for td in row.select("td")]
    assert cells[-2:] == ["2", "2"]  # lots 1 and 2; two suppliers not removed, counted once


def test_list_is_paginated(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for n in range(30):
        FrameworkFactory.create(reference=f"RM{n:03d}")
    first = webtest_app.get("/frameworks")
    assert len(_references(first)) == 25
    assert "Showing 1 to 25 of 30 frameworks" in first.text
    second = webtest_app.get("/frameworks?page=2")
    assert _references(second) == [f"RM{n:03d}" for n in range(25, 30)]


def test_detail_shows_everything_on_the_framework(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    framework = FrameworkFactory.create(
        reference="GPSOC",
        title="GP Systems of Choice",
        owner_body="NHS Digital",
        status=FrameworkStatus.expired,
        max_term_months=132,
        cpv_codes=["48000000", "72000000"],
        source_url="https://digital.nhs.uk/gpsoc",
        illustrative=True,
    )
    db_session.add(
        FrameworkStatusChange(
            framework=framework,
            from_status=FrameworkStatus.live,
            to_status=FrameworkStatus.expired,
            reason="Replaced by GP IT Futures",
        )
    )
    lot = LotFactory.create(framework=framework, number="1", title="Principal clinical systems")
    emis = SupplierFactory.create(name="EMIS Health Ltd")
    tpp = SupplierFactory.create(name="The Phoenix Partnership")
    MembershipFactory.create(lot=lot, supplier=emis)
    suspended = MembershipFactory.create(lot=lot, supplier=tpp, status=MembershipStatus.suspended)
    ObligationFactory.create(
        framework=framework,
        category=ObligationCategory.interoperability,
        title="IM1 interface pairing",
        kpi_target=Decimal("95.0000"),
        kpi_unit="%",
        kpi_direction=KPIDirection.higher_is_better,
        weight=Decimal("2.500"),
    )
    ObligationFactory.create(
        framework=framework,
        lot=lot,
        category=ObligationCategory.data_portability,
        title="Bulk extract",
        retracted_at=utcnow(),
        retraction_reason="Superseded",
    )
    ObligationFactory.create(framework=framework, supplier=tpp, title="SystmOne record sharing")
    ObligationFactory.create(
        framework=framework, category=ObligationCategory.availability_sla, title="99.9% uptime"
    )
    page = webtest_app.get("/frameworks/GPSOC")
    text = page.text
    assert "GP Systems of Choice" in text and "NHS Digital" in text
    assert "132 months" in text and "48000000, 72000000" in text
    assert "Illustrative" in text and "illustrative</strong>: an invented example" in text
    assert "Live to expired" in text and "Replaced by GP IT Futures" in text
    assert "Lot 1: Principal clinical systems" in text
    links = {a["href"] for a in page.html.select("#lots ~ table a")}
    assert f"/suppliers/{emis.id}" in links and f"/suppliers/{tpp.id}" in links
    # The framework expired on its end date: its memberships ended with it (issue 19), the
    # suspended one too, though its recorded status is unchanged.
    assert "Suspended" not in text and text.count("Ended 1 January 2024") == 2
    assert suspended.status.value == "suspended"
    # Obligations grouped by category, with KPI targets as people write them.
    headings = [h.text.strip() for h in page.html.select("#obligations ~ h3")]
    assert headings == ["Interoperability", "Data portability", "Availability SLA"]
    assert "95 %" in text and "(higher is better)" in text and ">2.5<" in text
    retracted = page.html.find("del")
    assert retracted is not None and retracted.text == "Bulk extract"
    assert "Superseded" in text
    assert "SystmOne record sharing" in text
    # The public sees no admin actions.
    assert "Change status" not in text and "Add a lot" not in text


def test_retracted_framework_shows_the_notice(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    FrameworkFactory.create(
        reference="RM9", retracted_at=utcnow(), retraction_reason="Recorded twice"
    )
    page = webtest_app.get("/frameworks/RM9")
    assert "This framework was retracted on" in page.text
    assert "Recorded twice" in page.text


def test_unknown_framework_and_lot_are_not_found(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1")
    webtest_app.get("/frameworks/RM404", status=404)
    webtest_app.get("/frameworks/RM1/lots/9", status=404)


def test_lot_page_shows_suppliers_history_and_obligations(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1", end_date=None)  # not expired
    lot = LotFactory.create(framework=framework, number="2a", title="Cloud hosting")
    other = LotFactory.create(framework=framework, number="3")
    supplier = SupplierFactory.create(name="Acme Cloud Ltd")
    membership = MembershipFactory.create(
        lot=lot, supplier=supplier, status=MembershipStatus.in_remediation
    )
    db_session.add(
        MembershipStatusChange(
            membership=membership,
            from_status=MembershipStatus.active,
            to_status=MembershipStatus.in_remediation,
            reason="Missed the availability SLA",
        )
    )
    db_session.flush()
    ObligationFactory.create(framework=framework, title="Framework-wide exit plan")
    ObligationFactory.create(framework=framework, lot=lot, title="99.9% availability")
    ObligationFactory.create(framework=framework, lot=other, title="Only on lot 3")
    page = webtest_app.get("/frameworks/RM1/lots/2a")
    text = page.text
    assert "Lot 2a: Cloud hosting" in text
    assert "Acme Cloud Ltd" in text and f"/suppliers/{supplier.id}" in text
    assert "In remediation" in text and "Missed the availability SLA" in text
    assert "Framework-wide exit plan" in text and "99.9% availability" in text
    assert "Only on lot 3" not in text
