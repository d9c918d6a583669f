"""The framework service: validation, the status lifecycle, lots, obligations, memberships, and
the audit events each change writes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from registry.audit.models import AuditEvent
from registry.audit.services import verify_chain
from registry.frameworks import includeme
from registry.frameworks.interfaces import IFrameworkService
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    FrameworkStatusChange,
    KPIDirection,
    Lot,
    Membership,
    MembershipStatus,
    MembershipStatusChange,
    Obligation,
    ObligationCategory,
)
from registry.frameworks.services import (
    FrameworkError,
    FrameworkInput,
    FrameworkService,
    LotInput,
    MembershipInput,
    ObligationInput,
    allowed_statuses,
    parse_cpv_codes,
)
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.services import registered_service


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _fields(exc: pytest.ExceptionInfo[FrameworkError]) -> dict[str, str]:
    return dict(exc.value.errors)


def _count(db: Session, model: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _input(**kwargs: Any) -> FrameworkInput:
    values: dict[str, Any] = {
        "reference": "RM6116",
        "title": "Network Services 3",
        "owner_body": "Crown Commercial Service",
        "start_date": datetime.date(2021, 1, 1),
        "end_date": datetime.date(2025, 1, 1),
        "max_term_months": 48,
        "cpv_codes": ["48000000", "72000000-5"],
        "source_url": "https://www.crowncommercial.gov.uk/agreements/RM6116",
    }
    values.update(kwargs)
    return FrameworkInput(**values)


def test_service_implements_its_interface() -> None:
    assert verifyClass(IFrameworkService, FrameworkService)


def test_includeme_registers_the_service() -> None:
    assert isinstance(registered_service(includeme, IFrameworkService), FrameworkService)


def test_parse_cpv_codes_splits_and_drops_repeats() -> None:
    assert parse_cpv_codes(" 48000000, 72000000-5\n48000000;") == ["48000000", "72000000-5"]
    assert parse_cpv_codes(None) == []


def test_create_framework_keeps_its_first_status_and_audits(db_session: Session) -> None:
    service = FrameworkService(db_session)
    framework = service.create_framework(_input(status=FrameworkStatus.live), actor=None)
    assert framework.reference == "RM6116"
    assert framework.status == FrameworkStatus.live
    [change] = framework.status_changes
    assert change.from_status is None and change.to_status == FrameworkStatus.live
    [event] = _events(db_session, "framework.created")
    assert event.subject_id == str(framework.id)
    assert event.after is not None
    assert event.after["reference"] == "RM6116"
    assert event.after["cpv_codes"] == ["48000000", "72000000-5"]
    assert verify_chain(db_session).intact


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"reference": ""}, "reference", "Enter the framework's reference"),
        ({"reference": "RM 61/16"}, "reference", "letters, digits"),
        ({"reference": "new"}, "reference", "letters, digits"),
        ({"title": " "}, "title", "Enter the framework's title"),
        ({"owner_body": ""}, "owner_body", "Enter the body"),
        ({"end_date": datetime.date(2020, 1, 1)}, "end_date", "on or after the start date"),
        (
            {"extended_end_date": datetime.date(2024, 1, 1)},
            "extended_end_date",
            "on or after the end date",
        ),
        ({"max_term_months": 0}, "max_term_months", "from 1 to"),
        ({"max_term_months": -4}, "max_term_months", "from 1 to"),
        ({"cpv_codes": ["4800"]}, "cpv_codes", "4800 is not"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "https://"),
        ({"source_url": "ftp://example.org/x"}, "source_url", "https://"),
    ],
)
def test_create_framework_refuses_bad_input(
    db_session: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    service = FrameworkService(db_session)
    with pytest.raises(FrameworkError) as exc:
        service.create_framework(_input(**changes), actor=None)
    assert words in _fields(exc)[field]
    assert _count(db_session, Framework) == 0
    assert _events(db_session, "framework.created") == []


def test_reference_is_unique_whatever_the_case(db_session: Session) -> None:
    FrameworkFactory.create(reference="RM6116")
    with pytest.raises(FrameworkError) as exc:
        FrameworkService(db_session).create_framework(_input(reference="rm6116"), actor=None)
    assert "exists" in _fields(exc)["reference"]


def test_update_framework_audits_before_and_after(db_session: Session) -> None:
    framework = FrameworkFactory.create(reference="RM1", title="Old title")
    service = FrameworkService(db_session)
    service.update_framework(framework, _input(reference="RM1", title="New title"), actor=None)
    assert framework.title == "New title"
    [event] = _events(db_session, "framework.updated")
    assert event.before is not None and event.after is not None
    assert event.before["title"] == "Old title"
    assert event.after["title"] == "New title"
    # The status is not the edit form's to change.
    assert event.after["status"] == framework.status


def test_update_keeps_own_reference_but_not_anothers(db_session: Session) -> None:
    FrameworkFactory.create(reference="RM2")
    framework = FrameworkFactory.create(reference="RM1")
    service = FrameworkService(db_session)
    service.update_framework(framework, _input(reference="RM1"), actor=None)
    with pytest.raises(FrameworkError) as exc:
        service.update_framework(framework, _input(reference="RM2"), actor=None)
    assert "exists" in _fields(exc)["reference"]
    assert framework.reference == "RM1"


def test_status_moves_one_step_and_is_kept(db_session: Session) -> None:
    framework = FrameworkFactory.create(status=FrameworkStatus.coming)
    service = FrameworkService(db_session)
    assert allowed_statuses(framework) == [FrameworkStatus.open]
    service.change_status(framework, "open", reason="Bids invited", actor=None)
    assert framework.status == FrameworkStatus.open
    change = db_session.execute(sa.select(FrameworkStatusChange)).scalar_one()
    assert (change.from_status, change.to_status, change.reason) == (
        FrameworkStatus.coming,
        FrameworkStatus.open,
        "Bids invited",
    )
    [event] = _events(db_session, "framework.status_changed")
    assert event.before == {"status": "coming"}
    assert event.after == {"status": "open"}
    assert event.reason == "Bids invited"


def test_the_whole_lifecycle_in_order(db_session: Session) -> None:
    framework = FrameworkService(db_session).create_framework(_input(), actor=None)
    service = FrameworkService(db_session)
    for status in list(FrameworkStatus)[1:]:
        service.change_status(framework, status, reason=f"to {status}", actor=None)
    assert framework.status == FrameworkStatus.expired
    assert [c.to_status for c in framework.status_changes] == list(FrameworkStatus)
    assert len(_events(db_session, "framework.status_changed")) == 5
    assert verify_chain(db_session).intact


def test_invalid_transition_is_refused_with_the_allowed_ones(db_session: Session) -> None:
    framework = FrameworkFactory.create(status=FrameworkStatus.coming)
    with pytest.raises(FrameworkError) as exc:
        FrameworkService(db_session).change_status(framework, "live", reason="x", actor=None)
    message = _fields(exc)["status"]
    assert "cannot move from coming to live" in message
    assert "to open" in message
    assert framework.status == FrameworkStatus.coming
    assert _count(db_session, FrameworkStatusChange) == 0


def test_expired_is_final_and_a_reason_is_required(db_session: Session) -> None:
    framework = FrameworkFactory.create(status=FrameworkStatus.expired)
    assert allowed_statuses(framework) == []
    with pytest.raises(FrameworkError) as exc:
        FrameworkService(db_session).change_status(framework, "live", reason=" ", actor=None)
    fields = _fields(exc)
    assert "it is final" in fields["status"]
    assert fields["reason"] == "Enter the reason for this change"


def test_retract_framework_keeps_it_and_blocks_changes(db_session: Session) -> None:
    framework = FrameworkFactory.create(status=FrameworkStatus.live)
    service = FrameworkService(db_session)
    with pytest.raises(FrameworkError):
        service.retract_framework(framework, reason="", actor=None)
    assert not framework.is_retracted
    service.retract_framework(framework, reason="Recorded in error", actor=None)
    assert framework.is_retracted and framework.retraction_reason == "Recorded in error"
    [event] = _events(db_session, "framework.retracted")
    assert event.reason == "Recorded in error"
    assert allowed_statuses(framework) == []
    with pytest.raises(FrameworkError):
        service.change_status(framework, "expired", reason="x", actor=None)
    with pytest.raises(FrameworkError):
        service.update_framework(framework, _input(reference=framework.reference), actor=None)
    with pytest.raises(FrameworkError):
        service.create_lot(framework, LotInput(number="9", title="Late lot"), actor=None)
    assert _count(db_session, Framework) == 1  # nothing deleted


def test_lot_numbers_are_unique_within_a_framework(db_session: Session) -> None:
    framework = FrameworkFactory.create()
    other = FrameworkFactory.create()
    service = FrameworkService(db_session)
    lot = service.create_lot(framework, LotInput(number="1", title="Software"), actor=None)
    service.create_lot(
        other, LotInput(number="1", title="Same number, other framework"), actor=None
    )
    with pytest.raises(FrameworkError) as exc:
        service.create_lot(framework, LotInput(number="1", title="Again"), actor=None)
    assert "already has a lot numbered 1" in _fields(exc)["number"]
    with pytest.raises(FrameworkError) as exc:
        service.create_lot(framework, LotInput(number="2", title="x", cpv_codes=["1"]), actor=None)
    assert "cpv_codes" in _fields(exc)
    service.update_lot(lot, LotInput(number="1a", title="Software"), actor=None)
    assert lot.number == "1a"
    [created] = _events(db_session, "lot.created")[:1]
    assert created.after is not None and created.after["number"] == "1"
    [updated] = _events(db_session, "lot.updated")
    assert updated.before == {**updated.before, "number": "1"}
    assert updated.after is not None and updated.after["number"] == "1a"


def _obligation(**kwargs: Any) -> ObligationInput:
    values: dict[str, Any] = {
        "category": ObligationCategory.data_portability,
        "title": "Bulk extract of the full record",
        "standard_reference": "IM1",
        "kpi_target": Decimal("99.5"),
        "kpi_unit": "%",
        "kpi_direction": KPIDirection.higher_is_better,
        "weight": Decimal("2"),
    }
    values.update(kwargs)
    return ObligationInput(**values)


def test_obligation_on_framework_lot_or_supplier(db_session: Session) -> None:
    framework = FrameworkFactory.create()
    lot = LotFactory.create(framework=framework)
    supplier = SupplierFactory.create()
    service = FrameworkService(db_session)
    whole = service.create_obligation(framework, _obligation(), actor=None)
    on_lot = service.create_obligation(framework, _obligation(lot_id=lot.id), actor=None)
    one = service.create_obligation(
        framework, _obligation(lot_id=lot.id, supplier_id=supplier.id), actor=None
    )
    assert (whole.lot_id, whole.supplier_id) == (None, None)
    assert on_lot.lot_id == lot.id
    assert one.supplier_id == supplier.id
    assert len(_events(db_session, "obligation.created")) == 3
    assert whole.kpi_target == Decimal("99.5")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"weight": Decimal(0)}, "weight", "more than 0"),
        ({"weight": Decimal("-1")}, "weight", "more than 0"),
        ({"title": ""}, "title", "Enter what the supplier promised"),
        ({"category": "lock-in"}, "category", "Choose"),
        ({"kpi_direction": None}, "kpi_direction", "higher or lower"),
        ({"kpi_target": None}, "kpi_target", "Enter the KPI target"),
        ({"supplier_id": 999999}, "supplier_id", "no supplier numbered 999999"),
        ({"lot_id": 999999}, "lot_id", "lots"),
    ],
)
def test_obligation_refuses_bad_input(
    db_session: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    framework = FrameworkFactory.create()
    with pytest.raises(FrameworkError) as exc:
        FrameworkService(db_session).create_obligation(
            framework, _obligation(**changes), actor=None
        )
    assert words in _fields(exc)[field]
    assert _count(db_session, Obligation) == 0


def test_obligation_lot_must_be_on_the_same_framework(db_session: Session) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    elsewhere = LotFactory.create()
    with pytest.raises(FrameworkError) as exc:
        FrameworkService(db_session).create_obligation(
            framework, _obligation(lot_id=elsewhere.id), actor=None
        )
    assert "RM1's lots" in _fields(exc)["lot_id"]


def test_retracted_lot_takes_no_changes(db_session: Session) -> None:
    framework = FrameworkFactory.create()
    lot = LotFactory.create(framework=framework, number="1")
    service = FrameworkService(db_session)
    service.retract_lot(lot, reason="Recorded in error", actor=None)
    assert lot.is_retracted
    assert _events(db_session, "lot.retracted")[0].reason == "Recorded in error"
    with pytest.raises(FrameworkError):
        service.update_lot(lot, LotInput(number="1", title="x"), actor=None)
    with pytest.raises(FrameworkError) as exc:
        service.create_obligation(framework, _obligation(lot_id=lot.id), actor=None)
    assert "retracted" in _fields(exc)["lot_id"]
    with pytest.raises(FrameworkError):
        service.add_membership(
            lot, MembershipInput(supplier_id=SupplierFactory.create().id), actor=None
        )
    assert _count(db_session, Lot) == 1


def test_obligation_edit_and_retraction(db_session: Session) -> None:
    obligation = ObligationFactory.create(weight=Decimal(1))
    service = FrameworkService(db_session)
    service.update_obligation(obligation, _obligation(weight=Decimal("3")), actor=None)
    [event] = _events(db_session, "obligation.updated")
    assert event.before is not None and event.after is not None
    assert (Decimal(event.before["weight"]), Decimal(event.after["weight"])) == (1, 3)
    with pytest.raises(FrameworkError) as exc:
        service.retract_obligation(obligation, reason="", actor=None)
    assert "reason" in _fields(exc)
    service.retract_obligation(obligation, reason="Superseded by GP Connect", actor=None)
    assert obligation.is_retracted
    assert _events(db_session, "obligation.retracted")[0].reason == "Superseded by GP Connect"
    with pytest.raises(FrameworkError):
        service.update_obligation(obligation, _obligation(), actor=None)
    with pytest.raises(FrameworkError):
        service.retract_obligation(obligation, reason="again", actor=None)
    assert _count(db_session, Obligation) == 1


def test_membership_add_and_status_changes(db_session: Session) -> None:
    lot = LotFactory.create()
    supplier = SupplierFactory.create()
    service = FrameworkService(db_session)
    membership = service.add_membership(
        lot,
        MembershipInput(supplier_id=supplier.id, start_date=datetime.date(2020, 1, 1)),
        actor=None,
    )
    assert membership.status == MembershipStatus.active
    with pytest.raises(FrameworkError) as exc:
        service.add_membership(lot, MembershipInput(supplier_id=supplier.id), actor=None)
    assert "already on lot" in _fields(exc)["supplier"]
    with pytest.raises(FrameworkError) as exc:
        service.change_membership_status(membership, "suspended", reason="", actor=None)
    assert "reason" in _fields(exc)
    with pytest.raises(FrameworkError) as exc:
        service.change_membership_status(membership, "active", reason="x", actor=None)
    assert "already active" in _fields(exc)["status"]
    service.change_membership_status(
        membership, MembershipStatus.in_remediation, reason="Missed IM1 deadline", actor=None
    )
    service.change_membership_status(membership, "removed", reason="Contract ended", actor=None)
    assert membership.status == MembershipStatus.removed
    assert membership.end_date is not None  # removal ends it
    history = [
        tuple(row)
        for row in db_session.execute(
            sa.select(MembershipStatusChange.from_status, MembershipStatusChange.to_status)
            .where(MembershipStatusChange.membership_id == membership.id)
            .order_by(MembershipStatusChange.id)
        )
    ]
    assert history == [
        (None, MembershipStatus.active),
        (MembershipStatus.active, MembershipStatus.in_remediation),
        (MembershipStatus.in_remediation, MembershipStatus.removed),
    ]
    assert len(_events(db_session, "membership.created")) == 1
    changed = _events(db_session, "membership.status_changed")
    assert [e.reason for e in changed] == ["Missed IM1 deadline", "Contract ended"]
    assert changed[0].before is not None
    assert changed[0].before["status"] == "active"
    assert _count(db_session, Membership) == 1


def test_membership_refuses_unknown_merged_and_dates_out_of_order(db_session: Session) -> None:
    lot = LotFactory.create()
    survivor = SupplierFactory.create()
    merged = SupplierFactory.create(merged_into=survivor)
    service = FrameworkService(db_session)
    with pytest.raises(FrameworkError) as exc:
        service.add_membership(lot, MembershipInput(supplier_id=999999), actor=None)
    assert "no supplier numbered 999999" in _fields(exc)["supplier"]
    with pytest.raises(FrameworkError) as exc:
        service.add_membership(lot, MembershipInput(supplier_id=merged.id), actor=None)
    assert "merged into" in _fields(exc)["supplier"]
    with pytest.raises(FrameworkError) as exc:
        service.add_membership(
            lot,
            MembershipInput(
                supplier_id=survivor.id,
                start_date=datetime.date(2021, 1, 1),
                end_date=datetime.date(2020, 1, 1),
            ),
            actor=None,
        )
    assert "on or after the start date" in _fields(exc)["end_date"]
    assert _count(db_session, Membership) == 0


def test_factories_still_make_memberships(db_session: Session) -> None:
    # The shared factory and the service agree on what a membership is.
    membership = MembershipFactory.create()
    assert isinstance(membership.lot, Lot)
