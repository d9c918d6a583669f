"""The user service's admin operations: role changes, deactivation, passwords, and their audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.accounts.services import AccountError, DatabaseUserService, check_organisation
from registry.audit.models import AuditEvent
from registry.audit.services import events_for, verify_chain
from registry.authnz import Role
from tests.common.db.core import BuyerFactory, SupplierFactory
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def service(db_session: Session) -> DatabaseUserService:
    return DatabaseUserService(db_session)


@pytest.fixture
def admin(service: DatabaseUserService) -> User:
    return service.create_user("admin@example.org", TEST_PASSWORD, "admin")


def _actions(db: Session, user: User) -> list[str]:
    return [event.action for event in events_for(db, "user", user.id)]


@pytest.mark.parametrize(
    ("role", "buyer_id", "supplier_id", "message"),
    [
        (Role.officer, None, None, "An officer must work for a buyer"),
        (Role.officer, 1, 2, "An officer must work for a buyer"),
        (Role.supplier, None, None, "A supplier user must speak for a supplier"),
        (Role.supplier, 1, None, "A supplier user must speak for a supplier"),
        (Role.auditor, 1, None, "An auditor does not act for an organisation"),
        (Role.admin, None, 2, "An admin does not act for an organisation"),
    ],
)
def test_check_organisation_refuses(
    role: Role, buyer_id: int | None, supplier_id: int | None, message: str
) -> None:
    with pytest.raises(AccountError, match=message) as info:
        check_organisation(role, buyer_id, supplier_id)
    assert info.value.field == "organisation"


@pytest.mark.parametrize(
    ("role", "buyer_id", "supplier_id"),
    [(Role.officer, 1, None), (Role.supplier, None, 2), (Role.auditor, None, None)],
)
def test_check_organisation_accepts(
    role: Role, buyer_id: int | None, supplier_id: int | None
) -> None:
    check_organisation(role, buyer_id, supplier_id)


def test_change_role_is_audited_with_before_after_and_reason(
    db_session: Session, service: DatabaseUserService, admin: User
) -> None:
    buyer = BuyerFactory.create()
    user = service.create_user("u@example.org", TEST_PASSWORD, "auditor")
    service.change_role(user, "officer", buyer_id=buyer.id, actor=admin, reason="New job")
    assert (user.role, user.buyer_id) == (Role.officer, buyer.id)
    assert user.principals()[-1] == f"org:buyer:{buyer.id}"
    event = events_for(db_session, "user", user.id)[-1]
    assert event.action == "account.role_changed"
    assert event.before == {"role": "auditor", "buyer_id": None, "supplier_id": None}
    assert event.after == {"role": "officer", "buyer_id": buyer.id, "supplier_id": None}
    assert (event.reason, event.actor_id) == ("New job", admin.id)
    assert verify_chain(db_session).intact


def test_change_role_refusals_change_nothing(
    db_session: Session, service: DatabaseUserService, admin: User
) -> None:
    supplier = SupplierFactory.create()
    user = service.create_user("u@example.org", TEST_PASSWORD, "auditor")
    with pytest.raises(AccountError, match="Enter the reason"):
        service.change_role(user, "supplier", supplier_id=supplier.id, actor=admin, reason=" ")
    with pytest.raises(AccountError, match="not a role"):
        service.change_role(user, "emperor", actor=admin, reason="x")
    with pytest.raises(AccountError, match="the same as now"):
        service.change_role(user, "auditor", actor=admin, reason="x")
    with pytest.raises(AccountError, match="You cannot remove your own admin role"):
        service.change_role(admin, "auditor", actor=admin, reason="x")
    assert (user.role, user.supplier_id, admin.role) == (Role.auditor, None, Role.admin)
    assert _actions(db_session, user) == ["account.created"]


def test_deactivate_and_reactivate(
    db_session: Session, service: DatabaseUserService, admin: User
) -> None:
    user = service.create_user("u@example.org", TEST_PASSWORD, "auditor")
    service.deactivate(user, actor=admin, reason="Left")
    assert user.is_active is False
    # Inactive users are no one: not found for sessions, refused at sign-in.
    assert service.get_user(user.id) is None
    assert service.authenticate("u@example.org", TEST_PASSWORD) is None
    with pytest.raises(AccountError, match="already deactivated"):
        service.deactivate(user, actor=admin, reason="Left")
    service.reactivate(user, actor=admin, reason="Back")
    assert service.get_user(user.id) is user
    with pytest.raises(AccountError, match="already active"):
        service.reactivate(user, actor=admin, reason="Back")
    assert _actions(db_session, user) == [
        "account.created",
        "account.deactivated",
        "account.reactivated",
    ]
    events = [e for e in events_for(db_session, "user", user.id) if e.reason]
    assert [(e.before, e.after, e.reason) for e in events] == [
        ({"is_active": True}, {"is_active": False}, "Left"),
        ({"is_active": False}, {"is_active": True}, "Back"),
    ]


def test_admin_cannot_deactivate_themselves(
    db_session: Session, service: DatabaseUserService, admin: User
) -> None:
    with pytest.raises(AccountError, match="You cannot deactivate your own account"):
        service.deactivate(admin, actor=admin, reason="x")
    assert admin.is_active is True
    assert _actions(db_session, admin) == ["account.created"]


def test_set_password(db_session: Session, service: DatabaseUserService, admin: User) -> None:
    user = service.create_user("u@example.org", TEST_PASSWORD, "auditor")
    with pytest.raises(AccountError, match="at least 12") as info:
        service.set_password(user, "too short", actor=admin, reason="x")
    assert info.value.field == "password"
    with pytest.raises(AccountError, match="Enter the reason"):
        service.set_password(user, "long enough password", actor=admin, reason="")
    assert service.authenticate("u@example.org", TEST_PASSWORD) is user
    service.set_password(user, "long enough password", actor=admin, reason="Forgot")
    assert service.authenticate("u@example.org", "long enough password") is user
    event = db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "account.password_set")
    ).scalar_one()
    assert (event.after, event.reason, event.subject_id) == (
        {"password": "changed"},
        "Forgot",
        str(user.id),
    )
