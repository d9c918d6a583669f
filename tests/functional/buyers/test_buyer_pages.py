"""Buyer pages: the public list and profile, and admins' forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.buyers.models import Buyer, BuyerType
from registry.records import Publication
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    SupplierFactory,
    SupplierGroupFactory,
)


def _names(page: webtest.TestResponse) -> list[str]:
    return [a.text for a in page.html.select("table.govuk-table tbody td:first-child a")]


@pytest.fixture
def buyers(db_session: Session) -> dict[str, Any]:
    leeds = BuyerFactory.create(
        name="Leeds Teaching Hospitals", region="North East and Yorkshire", identifier="RR8"
    )
    practice = BuyerFactory.create(
        name="Abbey Surgery", buyer_type=BuyerType.gp_practice, region="London", identifier="A81001"
    )
    hmrc = BuyerFactory.create(
        name="HM Revenue and Customs",
        buyer_type=BuyerType.central_government,
        region=None,
        identifier_scheme="GB-GOR",
        identifier="D25",
    )
    ContractFactory.create(buyer=practice, value_amount=Decimal("900"))
    ContractFactory.create(buyer=leeds, value_amount=Decimal("5000"))
    db_session.commit()
    return {"leeds": leeds, "practice": practice, "hmrc": hmrc}


def test_list_filters_and_sorts(webtest_app: webtest.TestApp, buyers: dict[str, Any]) -> None:
    assert _names(webtest_app.get("/buyers")) == [
        "Abbey Surgery",
        "HM Revenue and Customs",
        "Leeds Teaching Hospitals",
    ]
    page = webtest_app.get("/buyers?type=GP+practice")
    assert _names(page) == ["Abbey Surgery"]
    assert "GP practice" in page.text
    assert _names(webtest_app.get("/buyers?region=London")) == ["Abbey Surgery"]
    assert _names(webtest_app.get("/buyers?q=rr8")) == ["Leeds Teaching Hospitals"]
    assert _names(webtest_app.get("/buyers?q=revenue")) == ["HM Revenue and Customs"]
    assert _names(webtest_app.get("/buyers?sort=value")) == [
        "Leeds Teaching Hospitals",
        "Abbey Surgery",
        "HM Revenue and Customs",
    ]
    assert _names(webtest_app.get("/buyers?sort=region"))[-1] == "HM Revenue and Customs"
    bad = webtest_app.get("/buyers?type=pub&region=Atlantis")
    assert "Type must be one of the types listed" in bad.text
    assert "Region must be one of the regions listed" in bad.text
    assert len(_names(bad)) == 3
    empty = webtest_app.get("/buyers?q=nothing+like+this")
    assert "No buyers match these filters" in empty.text


def test_list_is_paginated(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for n in range(27):
        BuyerFactory.create(name=f"Practice {n:02d}")
    db_session.commit()
    assert "Page 1 of 2" in webtest_app.get("/buyers").text
    assert _names(webtest_app.get("/buyers?page=2")) == ["Practice 25", "Practice 26"]


def test_profile_shows_identifiers_contracts_and_group_shares(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals", identifier="RR8")
    cegedim = SupplierGroupFactory.create(name="Cegedim")
    vision = SupplierFactory.create(name="In Practice Systems", group=cegedim)
    other = SupplierFactory.create(name="Another Cegedim company", group=cegedim)
    emis = SupplierFactory.create(name="EMIS Health")
    ContractFactory.create(buyer=buyer, supplier=vision, value_amount=Decimal("500"), title="V1")
    ContractFactory.create(buyer=buyer, supplier=other, value_amount=Decimal("250"), title="V2")
    ContractFactory.create(buyer=buyer, supplier=emis, value_amount=Decimal("250"), title="E1")
    ContractFactory.create(
        buyer=buyer,
        supplier=emis,
        value_amount=Decimal("99999"),
        publication=Publication.draft,
        title="Hidden draft",
    )
    db_session.commit()
    page = webtest_app.get(f"/buyers/{buyer.id}")
    assert "RR8 (GB-NHS-ODS)" in page.html.select_one("dl.govuk-summary-list").text
    shares = page.html.select("table.govuk-table tbody tr")
    first = [td.text.strip() for td in shares[0].select("td")]
    assert first[0] == "Cegedim"
    assert "In Practice Systems" in first[1] and "Another Cegedim company" in first[1]
    assert first[2:] == ["2", "£750.00", "75.0%"]
    assert [td.text.strip() for td in shares[1].select("td")][-1] == "25.0%"
    assert "3 published contracts" in page.text
    assert "Hidden draft" not in page.text
    links = [a["href"] for a in page.html.select("ul.govuk-list--bullet a")]
    assert len(links) == 3 and all(h.startswith("/contracts/") for h in links)
    webtest_app.get("/buyers/999999", status=404)


def test_admin_creates_and_edits_buyers(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    BuyerFactory.create(identifier_scheme="GB-NHS-ODS", identifier="RR8")
    db_session.commit()
    admin = login_as("admin")
    form = webtest_app.get("/buyers").click("Add a buyer").forms[0]
    form["name"] = "Leeds Teaching Hospitals NHS Trust"
    form["buyer_type"] = "NHS trust"
    form["identifier_scheme"] = "GB-NHS-ODS"
    form["identifier"] = "rr8"
    page = form.submit(status=400)
    assert "Another buyer already has the GB-NHS-ODS identifier RR8" in page.text
    form = page.forms[0]
    form["identifier"] = "RR*8"
    assert "ODS code must be 3 to 6 letters and digits" in form.submit(status=400).text
    form["identifier"] = "RR9"
    form["buyer_type"] = ""
    assert "Enter the type of public body" in form.submit(status=400).text
    form["buyer_type"] = "NHS trust"
    form["region"] = "North East and Yorkshire"
    done = form.submit().follow()
    assert "Leeds Teaching Hospitals NHS Trust added." in done.text
    buyer = db_session.execute(sa.select(Buyer).where(Buyer.identifier == "RR9")).scalar_one()
    form = done.click("Edit").forms[0]
    assert form["identifier"].value == "RR9"
    form["name"] = "Leeds Teaching Hospitals"
    form.submit().follow()
    db_session.refresh(buyer)
    assert buyer.name == "Leeds Teaching Hospitals"
    actions = db_session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.subject_type == "buyer", AuditEvent.subject_id == str(buyer.id))
        .order_by(AuditEvent.seq)  # the trail's order; rows come back in any order otherwise
    ).all()
    assert actions == [("buyer.created", admin.id), ("buyer.updated", admin.id)]


@pytest.mark.parametrize("role", ["officer", "auditor", "supplier"])
def test_buyer_forms_are_refused_to_other_roles(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, role: str
) -> None:
    buyer = BuyerFactory.create()
    db_session.commit()
    login_as(role)
    token = webtest_app.get("/login").forms[0]["csrf_token"].value
    for path in ("/buyers/new", f"/buyers/{buyer.id}/edit"):
        webtest_app.get(path, status=403)
        webtest_app.post(
            path, {"csrf_token": token, "name": "x", "buyer_type": "NHS trust"}, status=403
        )
    assert "Add a buyer" not in webtest_app.get("/buyers").text
    assert db_session.execute(sa.select(sa.func.count(Buyer.id))).scalar_one() == 1


def test_anonymous_is_sent_to_sign_in(webtest_app: webtest.TestApp) -> None:
    assert "/login?next=%2Fbuyers%2Fnew" in webtest_app.get("/buyers/new", status=303).location
