"""Public supplier and group pages: search, filters, sorting, paging, and what a profile shows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.buyers.models import BuyerType
from registry.db import utcnow
from registry.frameworks.models import MembershipStatus
from registry.pagination import DEFAULT_PAGE_SIZE
from registry.records import Publication
from registry.suppliers.services import SupplierService
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
    SupplierGroupFactory,
)


def _names(page: webtest.TestResponse) -> list[str]:
    return [a.text for a in page.html.select("table.govuk-table tbody td:first-child a")]


@pytest.fixture
def market(db_session: Session) -> dict[str, Any]:
    cegedim = SupplierGroupFactory.create(name="Cegedim")
    emis = SupplierFactory.create(
        name="EMIS Health Ltd", companies_house_number="03113109", aliases=["Egton"], sme=False
    )
    vision = SupplierFactory.create(name="In Practice Systems Ltd", group=cegedim, sme=None)
    micro = SupplierFactory.create(name="Microtest Ltd", sme=True)
    ContractFactory.create(supplier=vision, value_amount=Decimal("5000000"))
    ContractFactory.create(supplier=emis, value_amount=Decimal("100"))
    db_session.commit()
    return {"emis": emis, "vision": vision, "micro": micro, "cegedim": cegedim}


def test_list_searches_name_alias_and_companies_house_number(
    webtest_app: webtest.TestApp, market: dict[str, Any]
) -> None:
    assert _names(webtest_app.get("/suppliers")) == [
        "EMIS Health Ltd",
        "In Practice Systems Ltd",
        "Microtest Ltd",
    ]
    assert _names(webtest_app.get("/suppliers?q=micro")) == ["Microtest Ltd"]
    assert _names(webtest_app.get("/suppliers?q=egton")) == ["EMIS Health Ltd"]
    assert _names(webtest_app.get("/suppliers?q=3113109")) == ["EMIS Health Ltd"]
    assert _names(webtest_app.get("/suppliers?q=in-practice systems limited")) == [
        "In Practice Systems Ltd"
    ]
    # LIKE wildcards are taken literally.
    empty = webtest_app.get("/suppliers?q=%25")
    assert _names(empty) == []
    assert "No suppliers match “%”" in empty.text


def test_list_filters_sorts_and_hides_merged(
    webtest_app: webtest.TestApp, market: dict[str, Any], db_session: Session
) -> None:
    assert _names(webtest_app.get("/suppliers?sme=yes")) == ["Microtest Ltd"]
    assert _names(webtest_app.get("/suppliers?sme=no")) == ["EMIS Health Ltd"]
    assert _names(webtest_app.get("/suppliers?sme=unknown")) == ["In Practice Systems Ltd"]
    page = webtest_app.get(f"/suppliers?group={market['cegedim'].id}")
    assert _names(page) == ["In Practice Systems Ltd"]
    assert "Group: " in page.text and "Cegedim" in page.text
    bad = webtest_app.get("/suppliers?group=abc")
    assert "Group must be the number of a supplier group" in bad.text
    assert _names(webtest_app.get("/suppliers?sort=value")) == [
        "In Practice Systems Ltd",
        "EMIS Health Ltd",
        "Microtest Ltd",
    ]
    assert _names(webtest_app.get("/suppliers?sort=-name"))[0] == "Microtest Ltd"

    SupplierService(db_session).merge(market["micro"], market["emis"], reason="test", actor=None)
    db_session.commit()
    assert "Microtest Ltd" not in _names(webtest_app.get("/suppliers"))
    shown = webtest_app.get("/suppliers?merged=include")
    assert "Microtest Ltd" in _names(shown)
    assert "Merged" in shown.html.find("a", string="Microtest Ltd").find_parent("td").text


def test_list_is_paginated(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for n in range(DEFAULT_PAGE_SIZE + 2):
        SupplierFactory.create(name=f"Company {n:03d} Ltd")
    db_session.commit()
    first = webtest_app.get("/suppliers")
    assert len(_names(first)) == DEFAULT_PAGE_SIZE
    assert "Page 1 of 2" in first.text
    second = webtest_app.get("/suppliers?page=2")
    assert _names(second) == ["Company 025 Ltd", "Company 026 Ltd"]


def test_empty_list_says_so(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/suppliers")
    assert "No suppliers to show" in page.text
    assert "Add a supplier" not in page.text


def test_profile_shows_identifiers_frameworks_obligations_and_contracts(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    emis = SupplierFactory.create(
        name="EMIS Health Ltd",
        companies_house_number="03113109",
        duns="123456789",
        aliases=["Egton Medical Information Systems"],
    )
    # No end date: a framework past its end would show the membership ended, not its status.
    framework = FrameworkFactory.create(
        reference="GPSOC", title="GP Systems of Choice", end_date=None
    )
    lot = LotFactory.create(framework=framework, number="1", title="Principal clinical systems")
    MembershipFactory.create(supplier=emis, lot=lot, status=MembershipStatus.in_remediation)
    retracted = FrameworkFactory.create(reference="GONE", retracted_at=utcnow())
    MembershipFactory.create(supplier=emis, lot=LotFactory.create(framework=retracted))
    ObligationFactory.create(framework=framework, title="IM1 interface pairing")
    ObligationFactory.create(framework=framework, lot=lot, title="Bulk extract")
    ObligationFactory.create(framework=framework, supplier=emis, title="EMIS-only promise")
    ObligationFactory.create(framework=FrameworkFactory.create(), title="Elsewhere")
    ObligationFactory.create(framework=framework, title="Withdrawn", retracted_at=utcnow())
    practice = BuyerFactory.create(name="A practice", buyer_type=BuyerType.gp_practice)
    trust = BuyerFactory.create(name="A trust", buyer_type=BuyerType.nhs_trust)
    for n in range(11):
        ContractFactory.create(
            supplier=emis,
            buyer=practice,
            title=f"GP contract {n:02d}",
            value_amount=Decimal("1000"),
            award_date=datetime.date(2010, 1, 1) + datetime.timedelta(days=n),
        )
    ContractFactory.create(
        supplier=emis, buyer=trust, title="Trust EPR", value_amount=Decimal("2000000")
    )
    ContractFactory.create(supplier=emis, title="Draft one", publication=Publication.draft)
    ContractFactory.create(supplier=emis, buyer=trust, value_amount=Decimal(50), currency="EUR")
    ContractFactory.create(
        supplier=emis, buyer=practice, value_amount=None, ceiling_amount=Decimal(9000)
    )
    db_session.commit()

    page = webtest_app.get(f"/suppliers/{emis.id}")
    # How much of the data the totals use, worked out by the same pass as the buyer types.
    use = " ".join(page.html.select_one("p.registry-data-use").text.split())
    assert use.startswith("Totals in pounds use 12 of 14 published contracts")
    assert "£2,011,000" in use
    assert "1 without a value (1 of them framework agreements" in use
    assert "1 in another currency" in use
    # The identifiers, after the summary at a glance (issue 18); the group in the summary.
    summary = (
        page.html.select_one("#supplier-details").text
        + page.html.select_one("#supplier-summary").text
    )
    for text in ("03113109", "123456789", "Egton Medical Information Systems", emis.group.name):
        assert text in summary
    assert (
        page.html.find("a", string=emis.group.name)["href"] == f"/suppliers/groups/{emis.group_id}"
    )
    assert "GPSOC: GP Systems of Choice" in page.text
    assert "In remediation" in page.text
    assert "GONE" not in page.text
    for title in ("IM1 interface pairing", "Bulk extract", "EMIS-only promise"):
        assert title in page.text
    assert "Elsewhere" not in page.text and "Withdrawn" not in page.text
    assert "14 published contracts" in page.text
    assert "Draft one" not in page.text
    rows = [r.text for r in page.html.select("table.govuk-table tbody tr")]
    assert any("GP practice" in r and "£11,000" in r for r in rows)
    assert any("NHS trust" in r and "£2,000,000" in r for r in rows)
    latest = [a for a in page.html.select("ul.govuk-list--bullet a")]
    assert len(latest) == 10
    assert latest[0]["href"].startswith("/contracts/")
    assert f"/contracts?supplier={emis.id}" in page.text
    assert "Edit" not in [a.text for a in page.html.select(".govuk-button-group a")]


def test_profiles_one_after_another_each_show_their_own_records(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    """The profile's statements are built once per process, the supplier bound when they run
    (issue 8): two suppliers' pages, loaded one after the other, each show only their own."""
    first, second = SupplierFactory.create(), SupplierFactory.create()
    for supplier, count in ((first, 3), (second, 1)):
        name = supplier.name
        lot = LotFactory.create(framework=FrameworkFactory.create(reference=f"FW-{name[:20]}"))
        MembershipFactory.create(supplier=supplier, lot=lot)
        ObligationFactory.create(framework=lot.framework, supplier=supplier, title=f"{name} KPI")
        for n in range(count):
            ContractFactory.create(supplier=supplier, title=f"{name} contract {n}")
    db_session.commit()
    pages = {s.id: webtest_app.get(f"/suppliers/{s.id}").text for s in (first, second, first)}
    for supplier, other, count in ((first, second, 3), (second, first, 1)):
        page = pages[supplier.id]
        assert f"{count} published contract" in page
        assert f"{supplier.name} contract 0" in page and f"{supplier.name} KPI" in page
        assert f"FW-{supplier.name[:20]}" in page
        assert other.name not in page


def test_profile_of_unknown_supplier_is_404(webtest_app: webtest.TestApp) -> None:
    webtest_app.get("/suppliers/999999", status=404)


def test_group_pages(
    webtest_app: webtest.TestApp, market: dict[str, Any], db_session: Session
) -> None:
    SupplierFactory.create(name="Vision Health Ltd", group=market["cegedim"])
    db_session.commit()
    groups = webtest_app.get("/suppliers/groups?sort=size")
    assert _names(groups)[0] == "Cegedim"
    assert _names(webtest_app.get("/suppliers/groups?q=ceg")) == ["Cegedim"]
    page = webtest_app.get(f"/suppliers/groups/{market['cegedim'].id}")
    assert _names(page) == ["In Practice Systems Ltd", "Vision Health Ltd"]
    assert "£5,000,000" in page.text
    webtest_app.get("/suppliers/groups/999999", status=404)


def test_profile_lists_the_ten_latest_published_contracts_undated_last(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    """The latest ten are chosen among the published contracts before their buyers are read
    (issue 8): newest award first, undated ones after every dated one, unpublished never."""
    supplier = SupplierFactory.create()
    buyer = BuyerFactory.create(name="Leeds City Council")
    for year in range(2010, 2022):
        ContractFactory.create(
            supplier=supplier,
            buyer=buyer,
            title=f"Dated {year}",
            award_date=datetime.date(year, 1, 1),
        )
    ContractFactory.create(supplier=supplier, title="Undated", award_date=None)
    ContractFactory.create(
        supplier=supplier,
        title="Newest draft",
        award_date=datetime.date(2030, 1, 1),
        publication=Publication.draft,
    )
    ContractFactory.create(
        supplier=supplier,
        title="Newest retracted",
        award_date=datetime.date(2030, 1, 1),
        retracted_at=utcnow(),
    )
    db_session.commit()
    page = webtest_app.get(f"/suppliers/{supplier.id}")
    latest = page.html.select("ul.govuk-list--bullet li")
    assert [li.a.text for li in latest] == [f"Dated {year}" for year in range(2021, 2011, -1)]
    assert all("Leeds City Council" in li.text for li in latest)
    assert "13 published contracts" in page.text

    # With fewer dated contracts than the list holds, the undated one comes after them.
    other = SupplierFactory.create()
    ContractFactory.create(supplier=other, title="Undated one", award_date=None)
    ContractFactory.create(supplier=other, title="Dated one", award_date=datetime.date(2020, 1, 1))
    db_session.commit()
    page = webtest_app.get(f"/suppliers/{other.id}")
    assert [li.a.text for li in page.html.select("ul.govuk-list--bullet li")] == [
        "Dated one",
        "Undated one",
    ]
