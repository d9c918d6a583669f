"""Breaches, remediation plans, exclusions and membership status changes: rules and audit."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.frameworks.models import MembershipStatus, MembershipStatusChange
from registry.scoring.remedies import services as remedies
from registry.scoring.remedies.models import Breach, Exclusion
from tests.common.db.core import MembershipFactory, SupplierFactory


def _count(db: Session, model: type) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_breach_notice_is_due_30_days_after_the_breach(db_session: Session) -> None:
    supplier = SupplierFactory.create()
    breach = remedies.record_breach(
        db_session,
        supplier_id=supplier.id,
        kind="breach notice",
        occurred_on=datetime.date(2024, 2, 10),
        description="Missed SLA",
        actor=None,
    )
    assert breach.notice_due == datetime.date(2024, 3, 11)
    assert (
        db_session.scalar(sa.select(AuditEvent.action).where(AuditEvent.subject_type == "breach"))
        == "breach.create"
    )


def test_bad_breach_is_refused(db_session: Session) -> None:
    supplier = SupplierFactory.create()
    with pytest.raises(remedies.RemedyError) as caught:
        remedies.record_breach(
            db_session,
            supplier_id=supplier.id,
            kind="warning",
            occurred_on=datetime.date(2024, 2, 10),
            description=" ",
            actor=None,
            notice_published_on=datetime.date(2024, 1, 1),
        )
    assert {field for field, _ in caught.value.errors} == {
        "kind",
        "description",
        "notice_published_on",
    }
    assert _count(db_session, Breach) == 0


def test_exclusion_lasts_at_most_five_years(db_session: Session) -> None:
    supplier = SupplierFactory.create()
    start = datetime.date(2024, 2, 29)
    remedies.record_exclusion(
        db_session,
        supplier_id=supplier.id,
        ground="Fraud",
        kind="mandatory",
        start_date=start,
        expected_end_date=datetime.date(2029, 2, 28),
        actor=None,
    )
    with pytest.raises(remedies.RemedyError) as caught:
        remedies.record_exclusion(
            db_session,
            supplier_id=supplier.id,
            ground="Fraud",
            kind="mandatory",
            start_date=start,
            expected_end_date=datetime.date(2029, 3, 1),
            actor=None,
        )
    assert caught.value.errors == [
        ("expected_end_date", "An exclusion lasts at most five years from its start")
    ]
    assert _count(db_session, Exclusion) == 1


def test_remediation_plan_shows_overdue(db_session: Session) -> None:
    supplier = SupplierFactory.create()
    plan = remedies.record_remediation_plan(
        db_session,
        supplier_id=supplier.id,
        gap="No bulk export",
        actor=None,
        agreed_date=datetime.date(2024, 6, 30),
        today=datetime.date(2024, 1, 1),
    )
    assert not plan.is_overdue(datetime.date(2024, 6, 30))
    assert plan.is_overdue(datetime.date(2024, 7, 1))


def test_membership_moves_to_in_remediation_with_a_reason_and_audit(db_session: Session) -> None:
    membership = MembershipFactory.create()
    with pytest.raises(remedies.RemedyError):
        remedies.change_membership_status(db_session, membership, "in remediation", "", None)
    with pytest.raises(remedies.RemedyError):
        remedies.change_membership_status(db_session, membership, "on holiday", "why", None)
    assert _count(db_session, MembershipStatusChange) == 0
    remedies.change_membership_status(
        db_session, membership, "in remediation", "Availability below target", None
    )
    remedies.change_membership_status(db_session, membership, "suspended", "Plan missed", None)
    assert membership.status == MembershipStatus.suspended
    changes = db_session.scalars(
        sa.select(MembershipStatusChange).order_by(MembershipStatusChange.id)
    ).all()
    assert [(c.from_status, c.to_status) for c in changes] == [
        (MembershipStatus.active, MembershipStatus.in_remediation),
        (MembershipStatus.in_remediation, MembershipStatus.suspended),
    ]
    events = db_session.scalars(
        sa.select(AuditEvent.reason)
        .where(AuditEvent.action == "membership.status")
        .order_by(AuditEvent.seq)
    ).all()
    assert events == ["Availability below target", "Plan missed"]
