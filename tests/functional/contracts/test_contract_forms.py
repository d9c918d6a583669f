"""Recording, editing, publishing, retracting and extending contracts through the forms."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract, ProcurementMethod
from registry.db import utcnow
from registry.records import Publication
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    SupplierFactory,
)


def _events(db: Session, action: str, contract_id: int) -> list[AuditEvent]:
    return list(
        db.execute(
            sa.select(AuditEvent).where(
                AuditEvent.action == action,
                AuditEvent.subject_type == "contract",
                AuditEvent.subject_id == str(contract_id),
            )
        ).scalars()
    )


def _error_summary(page: webtest.TestResponse) -> list[str]:
    return [li.text.strip() for li in page.html.select(".govuk-error-summary__list li")]


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals", identifier="RR8")
    other_buyer = BuyerFactory.create(name="Other Trust", identifier="RXX")
    supplier = SupplierFactory.create(name="Acme Health Ltd", companies_house_number="01234567")
    framework = FrameworkFactory.create(reference="RM6221")
    LotFactory.create(framework=framework, number="1")
    LotFactory.create(framework=framework, number="2")
    db_session.commit()
    return {"buyer": buyer, "other_buyer": other_buyer, "supplier": supplier}


def _fill(form: webtest.Form, **values: str) -> webtest.Form:
    defaults = {
        "title": "Electronic patient record",
        "supplier": "01234567",
        "value_amount": "£1,200,000.00",
        "currency": "GBP",
        "award_date": "2023-01-10",
        "start_date": "2023-02-01",
        "end_date": "2026-01-31",
        "procurement_method": "further competition",
        "number_of_tenderers": "3",
        "cpv_code": "48000000-8",
        "framework_reference": "RM6221",
        "lot_number": "2",
    }
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def test_officer_records_a_draft_for_their_own_buyer(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    officer = login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get("/contracts/new").forms[0]
    assert "buyer" not in form.fields  # officers do not choose the buyer
    page = _fill(form, reference="LTH-2023-01").submit().follow()
    assert "Contract recorded as a draft" in page.text
    contract = db_session.execute(
        sa.select(Contract).where(Contract.reference == "LTH-2023-01")
    ).scalar_one()
    assert contract.buyer_id == world["buyer"].id
    assert contract.supplier_id == world["supplier"].id
    assert contract.publication == Publication.draft
    assert contract.value_amount == Decimal("1200000.00")
    assert contract.original_end_date == datetime.date(2026, 1, 31)
    assert contract.lot is not None and contract.lot.number == "2"
    assert contract.procurement_method == ProcurementMethod.further_competition
    assert contract.created_by_id == officer.id
    (event,) = _events(db_session, "contract.created", contract.id)
    assert event.actor_id == officer.id
    assert event.after is not None and event.after["buyer_id"] == world["buyer"].id
    # A draft is not on the public list.
    webtest_app.get("/logout").forms[0].submit()
    assert "Electronic patient record" not in webtest_app.get("/contracts").text


def test_admin_records_a_contract_for_any_buyer(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("admin")
    form = webtest_app.get("/contracts/new").forms[0]
    _fill(form, buyer="rxx").submit().follow()
    contract = db_session.execute(
        sa.select(Contract).where(Contract.title == "Electronic patient record")
    ).scalar_one()
    assert contract.buyer_id == world["other_buyer"].id


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": ""}, "title", "Enter the contract's title"),
        (
            {"supplier": ""},
            "supplier",
            "Enter the supplier's name, Companies House number or registry number",
        ),
        ({"supplier": "99999999"}, "supplier", "There is no supplier with number or name"),
        ({"value_amount": "-5"}, "value_amount", "Value must be a number from 0 to 9,999,999,"),
        ({"value_amount": "lots"}, "value_amount", "Value must be a number"),
        ({"value_amount": "NaN"}, "value_amount", "Value must be a number"),
        ({"value_amount": "1e30"}, "value_amount", "to 9,999,999,999,999,999.99, with at most"),
        ({"currency": "XYZ"}, "currency", "is not an ISO 4217 code"),
        ({"currency": ""}, "currency", "Enter the currency of the value"),
        ({"start_date": "2023-02-30"}, "start_date", "Start date must be a real date"),
        ({"end_date": "2022-01-01"}, "end_date", "End date must be the same as or after the start"),
        (
            {"original_end_date": "2022-01-01"},
            "original_end_date",
            "Original end date must be the same as or after the start date",
        ),
        (
            {"number_of_tenderers": "-1"},
            "number_of_tenderers",
            "Number of tenderers must be a whole number from 0 to 2,147,483,647",
        ),
        ({"number_of_tenderers": "2.5"}, "number_of_tenderers", "must be a whole number"),
        ({"cpv_code": "4800"}, "cpv_code", "CPV code must be 8 digits"),
        ({"framework_reference": "RM0000"}, "framework_reference", "no framework with reference"),
        ({"lot_number": "9"}, "lot_number", "Framework RM6221 has no lot 9"),
        ({"lot_number": ""}, "lot_number", "Enter the lot number: RM6221 has lots 1, 2"),
        ({"predecessor": "NOPE-1"}, "predecessor", "There is no contract with reference NOPE-1"),
        ({}, "procurement_method", "Select a procurement method from the list"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    webtest_app: webtest.TestApp,
    login_as: Any,
    world: dict[str, Any],
    db_session: Session,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get("/contracts/new").forms[0]
    if field == "procurement_method":
        _fill(form)["procurement_method"].force_value("bribery")
    else:
        _fill(form, **values)
    page = form.submit(status=400)
    assert any(message in text for text in _error_summary(page)), _error_summary(page)
    assert message in page.html.select_one(f"#{field}-error").text
    assert db_session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one() == 0


def test_predecessor_must_be_of_the_same_buyer(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any]
) -> None:
    ContractFactory.create(reference="OTHER-1", buyer=world["other_buyer"])
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get("/contracts/new").forms[0]
    page = _fill(form, predecessor="OTHER-1").submit(status=400)
    assert "The predecessor must be a contract of the same buyer" in page.text


def test_merged_supplier_is_refused_naming_the_record_to_use(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    SupplierFactory.create(
        name="Acme Old Ltd", companies_house_number="07654321", merged_into=world["supplier"]
    )
    db_session.commit()
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get("/contracts/new").forms[0]
    page = _fill(form, supplier="07654321").submit(status=400)
    assert "was merged into Acme Health Ltd: use that record" in page.text
    assert f"registry number {world['supplier'].id}" in page.text


def test_duplicate_reference_is_refused(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any]
) -> None:
    ContractFactory.create(reference="DUP-1", buyer=world["buyer"])
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get("/contracts/new").forms[0]
    page = _fill(form, reference="DUP-1").submit(status=400)
    assert "This reference cannot be used" in page.html.select_one("#reference-error").text


def _field_error(page: webtest.TestResponse, field: str) -> str:
    return " ".join(page.html.select_one(f"#{field}-error").text.split())


def test_messages_do_not_confirm_another_buyers_draft(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    """Issue 20: the reference and predecessor messages said whose a clashing contract was and
    that it existed, so an officer could confirm another buyer's draft. Now another buyer's draft
    clashes in the same words as a published contract, and as a predecessor is not found,
    exactly as a reference that does not exist."""
    other = world["other_buyer"]
    draft = ContractFactory.create(
        reference="SECRET-9", buyer=other, title="Secret outsourcing", publication="draft"
    )
    ContractFactory.create(reference="PUBLIC-9", buyer=other)
    ContractFactory.create(reference="OWN-9", buyer=world["buyer"], publication="draft")
    db_session.commit()
    login_as("officer", buyer_id=world["buyer"].id)

    def refused(**values: str) -> webtest.TestResponse:
        form = webtest_app.get("/contracts/new").forms[0]
        return _fill(form, **values).submit(status=400)

    clashes = {
        ref: _field_error(refused(reference=ref), "reference")
        for ref in ("SECRET-9", "PUBLIC-9", "OWN-9")
    }
    assert len(set(clashes.values())) == 1, clashes
    assert "Error: This reference cannot be used" in clashes["SECRET-9"]
    for ref, missing in (("SECRET-9", "NOPE-9"), (f"#{draft.id}", "#99999999")):
        page = refused(predecessor=ref)
        not_found = _field_error(refused(predecessor=missing), "predecessor")
        assert _field_error(page, "predecessor") == not_found.replace(missing, ref)
        assert "There is no contract with reference" in not_found
        assert "Secret outsourcing" not in page.text and other.name not in page.text
    # What the officer may see is still named: another buyer's published contract, and their own
    # draft, which may precede the new contract.
    page = refused(predecessor="PUBLIC-9")
    assert "The predecessor must be a contract of the same buyer" in page.text
    form = webtest_app.get("/contracts/new").forms[0]
    assert _fill(form, predecessor="OWN-9").submit().status_int == 303


def test_admin_must_name_an_existing_buyer(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any]
) -> None:
    login_as("admin")
    form = webtest_app.get("/contracts/new").forms[0]
    assert "Enter the buyer&#39;s name, identifier" in _fill(form, buyer="").submit(status=400).text
    form = webtest_app.get("/contracts/new").forms[0]
    refused = _fill(form, buyer="ZZZ9").submit(status=400).text
    assert "no buyer with name, identifier or registry number “ZZZ9”" in refused


def test_anonymous_is_sent_to_sign_in(webtest_app: webtest.TestApp) -> None:
    response = webtest_app.get("/contracts/new", status=303)
    assert "/login?next=" in response.location


@pytest.mark.parametrize("role", ["supplier", "auditor"])
def test_suppliers_and_auditors_cannot_record_contracts(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], role: str
) -> None:
    login_as(role)
    webtest_app.get("/contracts/new", status=403)


def test_officer_without_an_organisation_is_refused(
    webtest_app: webtest.TestApp, login_as: Any
) -> None:
    login_as("officer")
    page = webtest_app.get("/contracts/new", status=403)
    assert "You do not have permission" in page.text


def test_post_without_csrf_token_is_refused(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    webtest_app.post("/contracts/new", {"title": "X", "supplier": "01234567"}, status=400)
    assert db_session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one() == 0


# Acting on one contract.


@pytest.fixture
def draft(world: dict[str, Any], db_session: Session) -> Contract:
    contract = ContractFactory.create(
        title="Draft EPR",
        reference="D-1",
        buyer=world["buyer"],
        supplier=world["supplier"],
        publication=Publication.draft,
    )
    db_session.commit()
    return contract


@pytest.fixture
def published(world: dict[str, Any], db_session: Session) -> Contract:
    contract = ContractFactory.create(
        title="Live EPR",
        buyer=world["buyer"],
        start_date=datetime.date(2021, 2, 1),
        end_date=datetime.date(2023, 2, 1),
        original_end_date=datetime.date(2023, 2, 1),
    )
    db_session.commit()
    return contract


def test_officer_edits_own_draft(
    webtest_app: webtest.TestApp,
    login_as: Any,
    draft: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{draft.id}/edit").forms[0]
    assert form["title"].value == "Draft EPR"
    assert form["supplier"].value == "01234567"
    form["title"] = "Draft EPR, renamed"
    form["value_amount"] = "250000"
    page = form.submit().follow()
    assert "Contract updated" in page.text
    db_session.refresh(draft)
    assert draft.title == "Draft EPR, renamed"
    (event,) = _events(db_session, "contract.updated", draft.id)
    assert event.before == {"title": "Draft EPR", "value_amount": "100000.00"}
    assert event.after == {"title": "Draft EPR, renamed", "value_amount": "250000.00"}


def test_edit_form_shows_errors(
    webtest_app: webtest.TestApp, login_as: Any, draft: Contract, world: dict[str, Any]
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{draft.id}/edit").forms[0]
    form["predecessor"] = "D-1"
    page = form.submit(status=400)
    assert "A contract cannot be its own predecessor" in page.text


def test_published_contract_cannot_be_edited(
    webtest_app: webtest.TestApp, login_as: Any, published: Contract, world: dict[str, Any]
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    page = webtest_app.get(f"/contracts/{published.id}/edit").follow()
    assert "A published contract cannot be edited" in page.text


def _other_officer(login_as: Any, world: dict[str, Any]) -> Any:
    return login_as("officer", buyer_id=world["other_buyer"].id)


@pytest.mark.parametrize("action", ["edit", "publish", "retract", "extend"])
def test_officer_of_another_buyer_is_refused(
    webtest_app: webtest.TestApp,
    login_as: Any,
    draft: Contract,
    published: Contract,
    world: dict[str, Any],
    action: str,
) -> None:
    contract = published if action == "extend" else draft
    # The other officer gets a CSRF token from a page they may see.
    _other_officer(login_as, world)
    token = webtest_app.get("/contracts/new").forms[0]["csrf_token"].value
    webtest_app.get(f"/contracts/{contract.id}/{action}", status=403)
    webtest_app.post(f"/contracts/{contract.id}/{action}", {"csrf_token": token}, status=403)


@pytest.mark.parametrize("role", ["auditor", "supplier"])
def test_auditors_and_suppliers_cannot_act_on_contracts(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    role: str,
) -> None:
    login_as(role, **({"supplier_id": world["supplier"].id} if role == "supplier" else {}))
    for action in ("edit", "publish", "retract", "extend"):
        webtest_app.get(f"/contracts/{published.id}/{action}", status=403)


def test_officer_publishes_own_draft(
    webtest_app: webtest.TestApp,
    login_as: Any,
    draft: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    officer = login_as("officer", buyer_id=world["buyer"].id)
    detail = webtest_app.get(f"/contracts/{draft.id}")
    confirm = detail.click(href=f"/contracts/{draft.id}/publish")
    page = confirm.forms[0].submit().follow()
    assert "Contract published" in page.text
    db_session.refresh(draft)
    assert draft.publication == Publication.published
    (event,) = _events(db_session, "contract.published", draft.id)
    assert event.actor_id == officer.id
    assert event.after == {"publication": "published"}
    # Now it is public, and cannot be published twice.
    assert "Only a draft can be published" in (
        webtest_app.get(f"/contracts/{draft.id}/publish").follow().text
    )


def test_admin_publishes_any_draft(
    webtest_app: webtest.TestApp, login_as: Any, draft: Contract, db_session: Session
) -> None:
    login_as("admin")
    webtest_app.get(f"/contracts/{draft.id}/publish").forms[0].submit().follow()
    db_session.refresh(draft)
    assert draft.publication == Publication.published


def test_retraction_needs_a_reason(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{published.id}/retract").forms[0]
    form["reason"] = "   "
    page = form.submit(status=400)
    assert "Enter why the contract is being retracted" in page.text
    db_session.refresh(published)
    assert published.retracted_at is None
    assert _events(db_session, "contract.retracted", published.id) == []


def test_officer_retracts_own_contract_and_the_record_is_kept(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    officer = login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{published.id}/retract").forms[0]
    form["reason"] = "Recorded against the wrong supplier"
    page = form.submit().follow()
    assert "Contract retracted" in page.text
    assert "Reason: Recorded against the wrong supplier" in page.text
    db_session.refresh(published)
    assert published.retracted_by_id == officer.id
    assert published.retraction_reason == "Recorded against the wrong supplier"
    (event,) = _events(db_session, "contract.retracted", published.id)
    assert event.reason == "Recorded against the wrong supplier"
    # Off the public list, still at its address, and not retractable or extendable again.
    webtest_app.get("/logout").forms[0].submit()
    assert "Live EPR" not in webtest_app.get("/contracts").text
    assert "This contract was retracted" in webtest_app.get(f"/contracts/{published.id}").text


def test_retracted_contract_cannot_be_extended(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    published.retracted_at = utcnow()
    published.retraction_reason = "duplicate"
    db_session.commit()
    login_as("officer", buyer_id=world["buyer"].id)
    page = webtest_app.get(f"/contracts/{published.id}/extend").follow()
    assert "A retracted contract cannot be extended" in page.text
    page = webtest_app.get(f"/contracts/{published.id}/retract").follow()
    assert "already been retracted" in page.text


def test_officer_extends_own_contract(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    db_session: Session,
) -> None:
    officer = login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{published.id}/extend").forms[0]
    form["extended_on"] = "2023-01-05"
    form["new_end_date"] = "2024-02-01"
    form["reason"] = "Continuity while the replacement is procured"
    page = form.submit().follow()
    assert "Extension recorded" in page.text
    assert "365 days" in page.text
    db_session.refresh(published)
    assert published.end_date == datetime.date(2024, 2, 1)
    assert published.original_end_date == datetime.date(2023, 2, 1)
    (extension,) = published.extensions
    assert extension.previous_end_date == datetime.date(2023, 2, 1)
    assert extension.created_by_id == officer.id
    (event,) = _events(db_session, "contract.extended", published.id)
    assert event.before == {"end_date": "2023-02-01", "original_end_date": "2023-02-01"}
    assert event.after is not None and event.after["end_date"] == "2024-02-01"
    assert event.reason == "Continuity while the replacement is procured"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"new_end_date": "2023-02-01"}, "The new end date must be after the current end date"),
        ({"new_end_date": "2022-01-01"}, "The new end date must be after the current end date"),
        ({"new_end_date": ""}, "Enter the new end date"),
        ({"new_end_date": "2024-13-01"}, "The new end date must be a real date"),
        ({"extended_on": ""}, "Enter the date the extension was agreed"),
        ({"reason": ""}, "Enter the reason for the extension"),
    ],
)
def test_bad_extensions_are_refused(
    webtest_app: webtest.TestApp,
    login_as: Any,
    published: Contract,
    world: dict[str, Any],
    db_session: Session,
    values: dict[str, str],
    message: str,
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    form = webtest_app.get(f"/contracts/{published.id}/extend").forms[0]
    fields = {"extended_on": "2023-01-05", "new_end_date": "2024-02-01", "reason": "Continuity"}
    for name, value in {**fields, **values}.items():
        form[name] = value
    page = form.submit(status=400)
    assert message in page.text
    db_session.refresh(published)
    assert published.end_date == datetime.date(2023, 2, 1)
    assert published.extensions == []


def test_draft_is_not_extended(
    webtest_app: webtest.TestApp, login_as: Any, draft: Contract, world: dict[str, Any]
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    page = webtest_app.get(f"/contracts/{draft.id}/extend").follow()
    assert "A draft is not extended" in page.text
