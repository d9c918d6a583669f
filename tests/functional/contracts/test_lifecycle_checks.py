"""A contract on an expired or not yet live framework, or with a supplier in remediation or
excluded on its award date, is refused naming the field, or recorded only with an override reason
that is kept and audited: through the form, the API and a CSV import."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.csvimport.services import import_csv
from registry.frameworks.models import FrameworkStatus, MembershipStatus
from registry.records import Publication
from registry.scoring.remedies.models import Exclusion, ExclusionKind
from tests.common.db.core import (
    BuyerFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    SupplierFactory,
)

REASON = "Continuity call-off agreed with the framework owner while the successor is let"


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals", identifier="RR8")
    supplier = SupplierFactory.create(name="Acme Health Ltd", companies_house_number="01234567")
    # Recorded live, but it ended on 31 March 2023.
    expired = FrameworkFactory.create(
        reference="RM1001",
        status=FrameworkStatus.live,
        start_date=datetime.date(2019, 4, 1),
        end_date=datetime.date(2023, 3, 31),
    )
    current = FrameworkFactory.create(
        reference="RM2002",
        status=FrameworkStatus.live,
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2099, 12, 31),
    )
    LotFactory.create(framework=expired, number="1")
    lot = LotFactory.create(framework=current, number="1")
    MembershipFactory.create(lot=lot, supplier=supplier)
    db_session.commit()
    return {"buyer": buyer, "supplier": supplier, "lot": lot}


def _count(db: Session) -> tuple[int, int]:
    contracts = db.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
    events = db.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "contract")
    ).scalar_one()
    return contracts, events


def _created_event(db: Session, contract: Contract) -> AuditEvent:
    return db.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "contract.created",
            AuditEvent.subject_type == "contract",
            AuditEvent.subject_id == str(contract.id),
        )
    ).scalar_one()


def _form(app: webtest.TestApp, **values: str) -> webtest.Form:
    form = app.get("/contracts/new").forms[0]
    fields = {
        "title": "Electronic patient record",
        "supplier": "01234567",
        "award_date": "2024-06-03",
        "procurement_method": "further competition",
        "framework_reference": "RM1001",
        "lot_number": "1",
        **values,
    }
    for name, value in fields.items():
        form[name] = value
    return form


def _field_errors(page: webtest.TestResponse) -> dict[str, str]:
    return {
        a["href"].lstrip("#"): a.text.strip()
        for a in page.html.select(".govuk-error-summary__list a")
    }


def test_form_refuses_a_call_off_on_an_expired_framework_writing_nothing(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    before = _count(db_session)
    page = _form(webtest_app).submit(status=400)
    errors = _field_errors(page)
    assert (
        "Framework RM1001 had expired on 31 March 2023, before the award date, 3 June 2024"
        in (errors["framework_reference"])
    )
    assert "lifecycle override" in errors["framework_reference"]
    assert _count(db_session) == before


def test_form_records_it_with_an_override_reason_kept_and_audited(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    officer = login_as("officer", buyer_id=world["buyer"].id)
    _form(webtest_app, lifecycle_override=f"  {REASON} ").submit().follow()
    contract = db_session.execute(
        sa.select(Contract).where(Contract.title == "Electronic patient record")
    ).scalar_one()
    assert contract.lifecycle_override == REASON
    event = _created_event(db_session, contract)
    assert event.reason == REASON and event.actor_id == officer.id
    assert event.after is not None and event.after["lifecycle_override"] == REASON
    notice = webtest_app.get(f"/contracts/{contract.id}").html.find(id="lifecycle-override")
    assert notice is not None and REASON in notice.text


def test_a_call_off_before_the_framework_starts_is_refused(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    page = _form(webtest_app, framework_reference="RM2002", award_date="2023-12-31").submit(
        status=400
    )
    assert (
        "was not yet live on the award date, 31 December 2023: it starts on 1 January 2024"
        in (_field_errors(page)["framework_reference"])
    )


def test_a_live_framework_and_an_active_supplier_need_no_override(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("officer", buyer_id=world["buyer"].id)
    _form(webtest_app, framework_reference="RM2002", lifecycle_override="not needed").submit()
    contract = db_session.execute(
        sa.select(Contract).where(Contract.title == "Electronic patient record")
    ).scalar_one()
    assert contract.lot_id == world["lot"].id
    assert contract.lifecycle_override is None  # nothing to override: no reason is kept


def test_a_supplier_in_remediation_on_the_lot_is_refused_naming_the_supplier(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    (membership,) = world["lot"].memberships
    membership.status = MembershipStatus.in_remediation
    db_session.commit()
    login_as("officer", buyer_id=world["buyer"].id)
    before = _count(db_session)
    page = _form(webtest_app, framework_reference="RM2002").submit(status=400)
    assert (
        "Acme Health Ltd was in remediation on RM2002 lot 1 on the award date"
        in (_field_errors(page)["supplier"])
    )
    assert _count(db_session) == before


def test_an_excluded_supplier_is_refused_while_the_exclusion_is_in_force(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    db_session.add(
        Exclusion(
            supplier_id=world["supplier"].id,
            ground="Professional misconduct",
            kind=ExclusionKind.discretionary,
            start_date=datetime.date(2024, 1, 1),
            expected_end_date=datetime.date(2025, 12, 31),
            publication=Publication.published,
        )
    )
    db_session.commit()
    login_as("officer", buyer_id=world["buyer"].id)
    page = _form(webtest_app, framework_reference="RM2002").submit(status=400)
    assert (
        "Acme Health Ltd was excluded from public contracts on the award date"
        in (_field_errors(page)["supplier"])
    )
    # After the exclusion's end the same supplier may be awarded again.
    _form(webtest_app, framework_reference="RM2002", award_date="2026-01-05").submit(status=303)


@pytest.fixture
def token(db_session: Session, make_user: Any, world: dict[str, Any]) -> str:
    user = make_user("officer", buyer_id=world["buyer"].id)
    _, plain = issue_token(db_session, user=user, name="Finance system", actor=None)
    db_session.commit()
    return plain


def _post(app: webtest.TestApp, token: str, status: int, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "GP clinical system 2024",
        "supplier": "01234567",
        "award_date": "2024-06-03",
        "framework_reference": "RM1001",
        "lot_number": "1",
        **extra,
    }
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, Any] = app.post_json(
        "/api/v1/contracts", body, headers=headers, status=status
    ).json
    return result


def test_api_refuses_an_expired_framework_naming_the_json_path(
    webtest_app: webtest.TestApp, db_session: Session, token: str
) -> None:
    before = _count(db_session)
    body = _post(webtest_app, token, 400, publish=True)
    (field,) = body["error"]["fields"]
    assert field["field"] == "$.framework_reference"
    assert "had expired on 31 March 2023" in field["message"]
    assert _count(db_session) == before


def test_api_records_it_with_an_override_reason_in_the_audit_trail(
    webtest_app: webtest.TestApp, db_session: Session, token: str
) -> None:
    created = _post(webtest_app, token, 201, lifecycle_override=REASON)
    assert created["lifecycle_override"] == REASON
    contract = db_session.get(Contract, created["id"])
    assert contract is not None and contract.lifecycle_override == REASON
    assert _created_event(db_session, contract).reason == REASON


CSV_HEADER = (
    "reference,title,buyer,supplier_companies_house_number,framework_reference,lot_number,"
    "award_date,lifecycle_override\n"
)


def test_csv_import_refuses_the_row_naming_line_and_column_then_takes_an_override(
    db_session: Session, world: dict[str, Any]
) -> None:
    before = _count(db_session)
    refused = import_csv(
        db_session,
        "contracts",
        (CSV_HEADER + "C-1,EPR,RR8,01234567,RM1001,1,2024-06-03,\n").encode(),
        "calls.csv",
    )
    (problem,) = refused.problems
    assert problem.startswith("calls.csv:2: column framework_reference: framework RM1001 had ")
    assert _count(db_session) == before
    accepted = import_csv(
        db_session,
        "contracts",
        (CSV_HEADER + f'C-1,EPR,RR8,01234567,RM1001,1,2024-06-03,"{REASON}"\n').encode(),
        "calls.csv",
    )
    assert accepted.ok, accepted.problems
    contract = db_session.execute(
        sa.select(Contract).where(Contract.reference == "C-1")
    ).scalar_one()
    assert contract.lifecycle_override == REASON
    event = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "contract.lifecycle_override",
            AuditEvent.subject_id == str(contract.id),
        )
    ).scalar_one()
    assert event.reason == REASON
