"""Merging duplicate supplier records through the admin pages, and reversing the merge."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.frameworks.models import Membership, MembershipStatus
from registry.suppliers.models import Supplier, SupplierMerge
from tests.common.db.core import ContractFactory, LotFactory, MembershipFactory, SupplierFactory


def _supplier_ids(db: Session, model: Any, ids: list[int]) -> set[int]:
    return set(db.execute(sa.select(model.supplier_id).where(model.id.in_(ids))).scalars())


def _actions(db: Session, subject_id: int) -> list[str]:
    return list(
        db.execute(
            sa.select(AuditEvent.action)
            .where(AuditEvent.subject_type == "supplier", AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def test_merge_and_reverse_end_to_end(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    survivor = SupplierFactory.create(name="EMIS Health Ltd", companies_house_number="03113109")
    duplicate = SupplierFactory.create(name="Egton Medical Information Systems Ltd")
    contracts = [ContractFactory.create(supplier=duplicate, title=f"Egton {n}") for n in range(2)]
    shared = LotFactory.create()
    MembershipFactory.create(supplier=survivor, lot=shared)
    clash = MembershipFactory.create(supplier=duplicate, lot=shared)
    moved = MembershipFactory.create(supplier=duplicate)
    db_session.commit()
    admin = login_as("admin")

    page = webtest_app.get(f"/suppliers/{duplicate.id}").click("Merge into another record")
    form = page.forms[0]
    form["survivor"] = str(duplicate.id)
    form["reason"] = "Same company"
    assert "A record cannot be merged into itself" in form.submit(status=400).text
    form["survivor"] = "99999999"
    assert "There is no supplier with number or name “99999999”" in form.submit(status=400).text
    form["survivor"] = "3113109"  # the Companies House number, as typed
    form["reason"] = ""
    assert "Enter why these records are the same company" in form.submit(status=400).text
    assert db_session.get(Supplier, duplicate.id).merged_into_id is None
    form["survivor"] = "03113109"
    form["reason"] = "Egton is EMIS's former name"
    page = form.submit().follow()

    # The survivor's page: the merged name is an alias, its contracts are here.
    assert page.request.path == f"/suppliers/{survivor.id}"
    assert "merged into EMIS Health Ltd" in page.text
    summary = page.html.select_one("#supplier-details").text  # after the summary (issue 18)
    assert "Egton Medical Information Systems Ltd" in summary
    assert "2 published contracts" in page.text
    assert _supplier_ids(db_session, Contract, [c.id for c in contracts]) == {survivor.id}
    assert _supplier_ids(db_session, Membership, [moved.id]) == {survivor.id}
    assert _supplier_ids(db_session, Membership, [clash.id]) == {duplicate.id}
    assert db_session.get(Membership, clash.id).status == MembershipStatus.removed
    merge = db_session.execute(sa.select(SupplierMerge)).scalar_one()
    assert merge.merged_by_id == admin.id
    assert merge.moved["contracts"] == sorted(c.id for c in contracts)
    assert _actions(db_session, duplicate.id)[-1] == "supplier.merged"
    assert _actions(db_session, survivor.id)[-1] == "supplier.merge_received"

    # The merged record's page points at the survivor; it is hidden from the list.
    old = webtest_app.get(f"/suppliers/{duplicate.id}")
    banner = old.html.select_one(".govuk-notification-banner")
    assert banner.find("a")["href"] == f"/suppliers/{survivor.id}"
    assert "Merge into another record" not in old.text
    assert "Egton Medical" not in webtest_app.get("/suppliers").html.select_one("table").text
    # A merged record cannot be merged again, nor edited.
    webtest_app.get(f"/suppliers/{duplicate.id}/merge", status=303)
    webtest_app.get(f"/suppliers/{duplicate.id}/edit", status=303)

    # Reverse it, from the survivor's page.
    form = page.click("Reverse").forms[0]
    assert "2 contracts, 1 framework places" in form.response.text
    form["reason"] = ""
    assert "Enter why the merge is being reversed" in form.submit(status=400).text
    form["reason"] = "Wrong: separate companies"
    back = form.submit().follow()
    assert back.request.path == f"/suppliers/{duplicate.id}"
    assert "Merge reversed" in back.text
    db_session.expire_all()
    assert _supplier_ids(db_session, Contract, [c.id for c in contracts]) == {duplicate.id}
    assert _supplier_ids(db_session, Membership, [moved.id]) == {duplicate.id}
    assert db_session.get(Membership, clash.id).status == MembershipStatus.active
    assert db_session.get(Supplier, survivor.id).aliases == []
    assert db_session.get(Supplier, duplicate.id).merged_into_id is None
    assert _actions(db_session, duplicate.id)[-1] == "supplier.merge_reversed"
    survivor_page = webtest_app.get(f"/suppliers/{survivor.id}")
    assert "Reversed" in survivor_page.text and "Wrong: separate companies" in survivor_page.text
    # Reversing twice is refused with a message, not an error page.
    again = webtest_app.get(f"/suppliers/merges/{merge.id}/reverse", status=303).follow()
    assert "already reversed" in again.text


def test_merging_is_for_admins_only(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    a, b = SupplierFactory.create(), SupplierFactory.create()
    db_session.commit()
    login_as("auditor")
    webtest_app.get(f"/suppliers/{b.id}/merge", status=403)
    token = webtest_app.get("/login").forms[0]["csrf_token"].value
    webtest_app.post(
        f"/suppliers/{b.id}/merge",
        {"csrf_token": token, "survivor": str(a.id), "reason": "x"},
        status=403,
    )
    assert db_session.get(Supplier, b.id).merged_into_id is None
    webtest_app.get("/suppliers/merges/1/reverse", status=403)
