"""The contract list and detail pages: who sees what, filters, sorting, and what the detail shows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.contracts.models import ContractExtension, ProcurementMethod
from registry.db import utcnow
from registry.records import Publication
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    SupplierFactory,
)


def _titles(page: webtest.TestResponse) -> list[str]:
    return [a.text for a in page.html.select("table.govuk-table tbody td:first-child a")]


@pytest.fixture
def three(db_session: Session) -> dict[str, Any]:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals", identifier="RR8")
    published = ContractFactory.create(title="Published EPR", buyer=buyer)
    draft = ContractFactory.create(title="Draft PACS", buyer=buyer, publication=Publication.draft)
    retracted = ContractFactory.create(
        title="Retracted HR", buyer=buyer, retracted_at=utcnow(), retraction_reason="duplicate"
    )
    other_draft = ContractFactory.create(title="Other buyer's draft", publication=Publication.draft)
    db_session.commit()
    return {
        "buyer": buyer,
        "published": published,
        "draft": draft,
        "retracted": retracted,
        "other_draft": other_draft,
    }


def test_public_list_shows_only_published_contracts(
    webtest_app: webtest.TestApp, three: dict[str, Any]
) -> None:
    page = webtest_app.get("/contracts")
    assert _titles(page) == ["Published EPR"]
    assert "Only published contracts are shown" in page.text
    assert "Record a contract" not in page.text
    # The status filter is not offered to the public, and is ignored if sent.
    assert 'name="status"' not in page.text
    assert _titles(webtest_app.get("/contracts?status=draft")) == ["Published EPR"]


def test_empty_list_says_so(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/contracts")
    assert "No contracts match these filters" in page.text
    assert "No contracts to show" in page.text


def test_officer_also_sees_own_organisations_drafts_marked(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any]
) -> None:
    login_as("officer", buyer_id=three["buyer"].id)
    page = webtest_app.get("/contracts?sort=title")
    assert _titles(page) == ["Draft PACS", "Published EPR", "Retracted HR"]
    row = page.html.find("a", string="Draft PACS").find_parent("td")
    assert "Draft" in row.find("strong").text
    assert "Record a contract" in page.text
    drafts = webtest_app.get("/contracts?status=draft")
    assert _titles(drafts) == ["Draft PACS"]


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_see_every_contract(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any], role: str
) -> None:
    login_as(role)
    page = webtest_app.get("/contracts?sort=title")
    assert _titles(page) == ["Draft PACS", "Other buyer's draft", "Published EPR", "Retracted HR"]
    assert _titles(webtest_app.get("/contracts?status=retracted")) == ["Retracted HR"]
    assert _titles(webtest_app.get("/contracts?status=published")) == ["Published EPR"]


def test_suppliers_see_only_published(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any]
) -> None:
    login_as("supplier", supplier_id=three["published"].supplier_id)
    assert _titles(webtest_app.get("/contracts")) == ["Published EPR"]


def test_filters(webtest_app: webtest.TestApp, db_session: Session) -> None:
    framework = FrameworkFactory.create(reference="RM6221", title="Tech Services 3")
    lot = LotFactory.create(framework=framework, number="3")
    buyer = BuyerFactory.create()
    supplier = SupplierFactory.create()
    ContractFactory.create(title="On framework", lot=lot, award_date=datetime.date(2022, 5, 1))
    ContractFactory.create(title="Of buyer", buyer=buyer, award_date=datetime.date(2021, 5, 1))
    ContractFactory.create(
        title="Of supplier",
        supplier=supplier,
        procurement_method=ProcurementMethod.direct_award,
        award_date=datetime.date(2019, 5, 1),
    )
    db_session.commit()
    assert _titles(webtest_app.get("/contracts?framework=RM6221")) == ["On framework"]
    by_buyer = webtest_app.get(f"/contracts?buyer={buyer.id}")
    assert _titles(by_buyer) == ["Of buyer"]
    assert f'href="/buyers/{buyer.id}"' in by_buyer.text
    assert _titles(webtest_app.get(f"/contracts?supplier={supplier.id}")) == ["Of supplier"]
    assert _titles(webtest_app.get("/contracts?method=direct+award")) == ["Of supplier"]
    assert _titles(webtest_app.get("/contracts?year=2022")) == ["On framework"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=20x2", "Award year must be a year in 4 digits"),
        ("method=bribery", "Procurement method must be one of the methods listed"),
        ("buyer=abc", "Buyer must be a registry number"),
        ("supplier=-1", "Supplier must be a registry number"),
    ],
)
def test_bad_filters_are_named_and_ignored(
    webtest_app: webtest.TestApp, db_session: Session, query: str, message: str
) -> None:
    ContractFactory.create(title="Still listed")
    db_session.commit()
    page = webtest_app.get(f"/contracts?{query}")
    assert message in page.text
    assert _titles(page) == ["Still listed"]


def test_sorting(webtest_app: webtest.TestApp, db_session: Session) -> None:
    ContractFactory.create(
        title="Banana", value_amount=Decimal(5), award_date=datetime.date(2020, 1, 1)
    )
    ContractFactory.create(
        title="apple", value_amount=Decimal(500), award_date=datetime.date(2022, 1, 1)
    )
    ContractFactory.create(title="Cherry", value_amount=None, award_date=None)
    db_session.commit()
    assert _titles(webtest_app.get("/contracts")) == ["apple", "Banana", "Cherry"]
    assert _titles(webtest_app.get("/contracts?sort=oldest")) == ["Banana", "apple", "Cherry"]
    assert _titles(webtest_app.get("/contracts?sort=value")) == ["apple", "Banana", "Cherry"]
    assert _titles(webtest_app.get("/contracts?sort=title")) == ["apple", "Banana", "Cherry"]
    # An unknown sort falls back to the default rather than failing.
    assert _titles(webtest_app.get("/contracts?sort=drop")) == ["apple", "Banana", "Cherry"]


def test_pagination(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for n in range(30):
        ContractFactory.create(title=f"Contract {n:02d}")
    db_session.commit()
    first = webtest_app.get("/contracts?sort=title")
    assert len(_titles(first)) == 25
    assert "Showing 1 to 25 of 30 contracts" in first.text
    second = webtest_app.get("/contracts?sort=title&page=2")
    assert _titles(second) == [f"Contract {n}" for n in range(25, 30)]
    assert "sort=title" in second.html.select_one(".govuk-pagination a")["href"]


def test_detail_shows_the_contract_and_links(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM3821", title="Data and Application Solutions")
    lot = LotFactory.create(framework=framework, number="2", title="Health")
    contract = ContractFactory.create(
        title="GP IT",
        reference="C-1",
        lot=lot,
        value_amount=Decimal("1250000"),
        number_of_tenderers=4,
        cpv_code="48000000-8",
    )
    db_session.commit()
    page = webtest_app.get(f"/contracts/{contract.id}")
    assert page.html.h1.text.strip().startswith("GP IT")
    assert f'href="/buyers/{contract.buyer_id}"' in page.text
    assert f'href="/suppliers/{contract.supplier_id}"' in page.text
    assert 'href="/frameworks/RM3821"' in page.text
    assert "lot 2: Health" in page.text
    assert "£1,250,000" in page.text
    assert "48000000-8" in page.text
    assert "This contract has not been extended" in page.text
    assert "Publish" not in page.text  # no actions for the public


def test_detail_shows_extensions_against_the_original_term(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    contract = ContractFactory.create(
        start_date=datetime.date(2020, 1, 1),
        original_end_date=datetime.date(2021, 1, 1),
        end_date=datetime.date(2021, 7, 2),
    )
    db_session.add(
        ContractExtension(
            contract=contract,
            extended_on=datetime.date(2020, 12, 1),
            previous_end_date=datetime.date(2021, 1, 1),
            new_end_date=datetime.date(2021, 7, 2),
            reason="Continuity while re-procuring",
        )
    )
    db_session.commit()
    page = webtest_app.get(f"/contracts/{contract.id}")
    row = page.html.select("table.govuk-table tbody tr")[0].text
    assert "Continuity while re-procuring" in row
    assert "182 days" in row
    assert "49.7% of the original term" in row


def test_detail_shows_the_chain_of_predecessors_and_successors(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory.create()
    first = ContractFactory.create(title="First award", buyer=buyer)
    second = ContractFactory.create(title="Second award", buyer=buyer, predecessor=first)
    ContractFactory.create(title="Third award", buyer=buyer, predecessor=second)
    ContractFactory.create(
        title="Draft fourth", buyer=buyer, predecessor=second, publication=Publication.draft
    )
    db_session.commit()
    page = webtest_app.get(f"/contracts/{second.id}")
    assert "Replaces" in page.text and "First award" in page.text
    assert "Replaced by" in page.text and "Third award" in page.text
    assert "Draft fourth" not in page.text  # drafts stay out of the public chain


def test_retracted_contract_is_shown_with_the_reason(
    webtest_app: webtest.TestApp, three: dict[str, Any]
) -> None:
    page = webtest_app.get(f"/contracts/{three['retracted'].id}")
    assert "This contract was retracted" in page.text
    assert "Reason: duplicate" in page.text


def test_unknown_contract_is_404(webtest_app: webtest.TestApp) -> None:
    webtest_app.get("/contracts/999999", status=404)


def test_draft_is_404_to_the_public(webtest_app: webtest.TestApp, three: dict[str, Any]) -> None:
    page = webtest_app.get(f"/contracts/{three['draft'].id}", status=404)
    assert "Draft PACS" not in page.text


@pytest.mark.parametrize("role", ["officer", "supplier"])
def test_draft_is_404_to_other_organisations(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any], role: str
) -> None:
    other = BuyerFactory.create() if role == "officer" else None
    kwargs = {"buyer_id": other.id} if other else {"supplier_id": three["draft"].supplier_id}
    login_as(role, **kwargs)
    webtest_app.get(f"/contracts/{three['draft'].id}", status=404)


@pytest.mark.parametrize("role", ["officer", "auditor", "admin"])
def test_draft_is_shown_to_its_officers_auditors_and_admins(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any], role: str
) -> None:
    login_as(role, **({"buyer_id": three["buyer"].id} if role == "officer" else {}))
    page = webtest_app.get(f"/contracts/{three['draft'].id}")
    assert "This is a <strong>draft</strong>" in page.text
    # Only those who may write it are offered the actions.
    assert ("Publish" in page.text) == (role != "auditor")


def test_officer_of_another_buyer_sees_a_published_contract_without_actions(
    webtest_app: webtest.TestApp, login_as: Any, three: dict[str, Any]
) -> None:
    login_as("officer", buyer_id=BuyerFactory.create().id)
    page = webtest_app.get(f"/contracts/{three['published'].id}")
    assert "Published EPR" in page.text
    assert "Record an extension" not in page.text
    assert "Retract" not in page.text
    # ...while the contract's own officers are offered them.
    webtest_app.get("/logout").forms[0].submit()
    login_as("officer", buyer_id=three["buyer"].id)
    page = webtest_app.get(f"/contracts/{three['published'].id}")
    assert "Record an extension" in page.text and "Retract" in page.text
