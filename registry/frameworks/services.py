"""Frameworks, lots, obligations and memberships: every change validated here and audited.

Validation (validation.py) runs in the service, not the forms, so the same rules hold for every
way in (forms, CSV, seed); every check runs before anything is written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry import clock
from registry.audit.services import R, add_audited, apply_audited, record_event
from registry.db import utcnow
from registry.frameworks.interfaces import IFrameworkService
from registry.frameworks.models import (
    FRAMEWORK_TRANSITIONS,
    Framework,
    FrameworkStatus,
    FrameworkStatusChange,
    Lot,
    Membership,
    MembershipStatus,
    MembershipStatusChange,
    Obligation,
)
from registry.frameworks.validation import (
    FRAMEWORK_FIELDS,
    LOT_FIELDS,
    MAX_REASON,
    MEMBERSHIP_FIELDS,
    OBLIGATION_FIELDS,
    FrameworkError,
    FrameworkInput,
    LotInput,
    MembershipInput,
    ObligationInput,
    Problem,
    allowed_statuses,
    check_reason,
    parse_cpv_codes,
    raise_problems,
    snapshot,
    validate_framework,
    validate_lot,
    validate_obligation,
)
from registry.suppliers.models import Supplier

# Re-exported: callers (views, CSV import, seed) import these from the service module.
__all__ = [
    "FrameworkError",
    "FrameworkInput",
    "FrameworkService",
    "LotInput",
    "MembershipInput",
    "ObligationInput",
    "allowed_statuses",
    "framework_service_factory",
    "parse_cpv_codes",
]


@implementer(IFrameworkService)
class FrameworkService:
    def __init__(self, db: Session) -> None:
        self.db = db

    def _create(self, record: R, subject_type: str, fields: tuple[str, ...], actor: Any) -> R:
        return add_audited(
            self.db,
            record,
            snapshot=lambda r: snapshot(r, fields),
            action=f"{subject_type}.created",
            subject_type=subject_type,
            actor=actor,
        )

    def _update(
        self,
        record: Any,
        values: dict[str, Any],
        subject_type: str,
        fields: tuple[str, ...],
        actor: Any,
    ) -> None:
        # The whole snapshot on both sides, as these events have always carried.
        apply_audited(
            self.db,
            record,
            values,
            snapshot=lambda r: snapshot(r, fields),
            action=f"{subject_type}.updated",
            subject_type=subject_type,
            actor=actor,
            changes_only=False,
        )

    # Frameworks

    def get_by_reference(self, reference: str) -> Framework | None:
        return self.db.execute(
            sa.select(Framework).where(Framework.reference == reference)
        ).scalar_one_or_none()

    def create_framework(self, data: FrameworkInput, *, actor: Any) -> Framework:
        values = validate_framework(self.db, data, None)
        framework = Framework(status=FrameworkStatus(data.status), **values)
        self.db.add(framework)
        self.db.flush()
        self.db.add(
            FrameworkStatusChange(
                framework_id=framework.id,
                from_status=None,
                to_status=framework.status,
                actor_id=getattr(actor, "id", None),
                reason="Recorded in the registry",
            )
        )
        record_event(
            self.db,
            action="framework.created",
            subject_type="framework",
            subject_id=framework.id,
            actor=actor,
            after=snapshot(framework, FRAMEWORK_FIELDS),
        )
        return framework

    def update_framework(
        self, framework: Framework, data: FrameworkInput, *, actor: Any
    ) -> Framework:
        if framework.is_retracted:
            raise FrameworkError([("", "A retracted framework cannot be changed")])
        values = validate_framework(self.db, data, framework)
        self._update(framework, values, "framework", FRAMEWORK_FIELDS, actor)
        return framework

    def change_status(
        self, framework: Framework, to_status: FrameworkStatus | str, *, reason: str, actor: Any
    ) -> FrameworkStatusChange:
        problems: list[Problem] = []
        reason = check_reason(reason, problems)
        try:
            target = FrameworkStatus(to_status)
        except ValueError:
            problems.append(("status", f"{to_status!r} is not a framework status"))
            raise_problems(problems)
            raise  # unreachable: _raise raised
        if framework.is_retracted:
            problems.append(("status", "A retracted framework's status cannot be changed"))
        elif target not in FRAMEWORK_TRANSITIONS[framework.status]:
            allowed = allowed_statuses(framework)
            nexts = " or ".join(s.value for s in allowed) if allowed else "nothing: it is final"
            problems.append(
                (
                    "status",
                    f"A framework cannot move from {framework.status.value} to {target.value}; "
                    f"from {framework.status.value} it can move to {nexts}",
                )
            )
        raise_problems(problems)
        change = FrameworkStatusChange(
            framework_id=framework.id,
            from_status=framework.status,
            to_status=target,
            actor_id=getattr(actor, "id", None),
            reason=reason,
        )
        before = {"status": framework.status}
        framework.status = target
        self.db.add(change)
        self.db.flush()
        record_event(
            self.db,
            action="framework.status_changed",
            subject_type="framework",
            subject_id=framework.id,
            actor=actor,
            before=before,
            after={"status": target},
            reason=reason,
        )
        return change

    def _retract(self, record: Any, subject_type: str, reason: str, actor: Any) -> None:
        problems: list[Problem] = []
        reason = check_reason(reason, problems)
        if record.is_retracted:
            problems.append(("reason", f"This {subject_type} is already retracted"))
        raise_problems(problems)
        record.retracted_at = utcnow()
        record.retracted_by_id = getattr(actor, "id", None)
        record.retraction_reason = reason
        self.db.flush()
        record_event(
            self.db,
            action=f"{subject_type}.retracted",
            subject_type=subject_type,
            subject_id=record.id,
            actor=actor,
            before={"retracted_at": None},
            after={"retracted_at": record.retracted_at, "retraction_reason": reason},
            reason=reason,
        )

    def retract_framework(self, framework: Framework, *, reason: str, actor: Any) -> None:
        self._retract(framework, "framework", reason, actor)

    # Lots

    def create_lot(self, framework: Framework, data: LotInput, *, actor: Any) -> Lot:
        values = validate_lot(self.db, framework, data, None)
        lot = Lot(framework_id=framework.id, **values)
        return self._create(lot, "lot", LOT_FIELDS, actor)

    def retract_lot(self, lot: Lot, *, reason: str, actor: Any) -> None:
        self._retract(lot, "lot", reason, actor)

    def update_lot(self, lot: Lot, data: LotInput, *, actor: Any) -> Lot:
        values = validate_lot(self.db, lot.framework, data, lot)
        self._update(lot, values, "lot", LOT_FIELDS, actor)
        return lot

    # Obligations

    def create_obligation(
        self, framework: Framework, data: ObligationInput, *, actor: Any
    ) -> Obligation:
        values = validate_obligation(self.db, framework, data)
        obligation = Obligation(framework_id=framework.id, **values)
        return self._create(obligation, "obligation", OBLIGATION_FIELDS, actor)

    def update_obligation(
        self, obligation: Obligation, data: ObligationInput, *, actor: Any
    ) -> Obligation:
        if obligation.is_retracted:
            raise FrameworkError([("", "A retracted obligation cannot be changed")])
        values = validate_obligation(self.db, obligation.framework, data)
        self._update(obligation, values, "obligation", OBLIGATION_FIELDS, actor)
        return obligation

    def retract_obligation(self, obligation: Obligation, *, reason: str, actor: Any) -> None:
        self._retract(obligation, "obligation", reason, actor)

    # Memberships

    def add_membership(self, lot: Lot, data: MembershipInput, *, actor: Any) -> Membership:
        problems: list[Problem] = []
        if lot.is_retracted or lot.framework.is_retracted:
            problems.append(("", "The lot or its framework is retracted: no supplier can be added"))
        supplier = self.db.get(Supplier, data.supplier_id) if data.supplier_id else None
        if supplier is None:
            problems.append(("supplier", f"There is no supplier numbered {data.supplier_id}"))
        elif supplier.is_merged:
            problems.append(
                (
                    "supplier",
                    f"Supplier {supplier.id} was merged into supplier {supplier.merged_into_id}: "
                    "use that one",
                )
            )
        elif self.db.execute(
            sa.select(Membership.id).where(
                Membership.lot_id == lot.id, Membership.supplier_id == supplier.id
            )
        ).first():
            problems.append(
                ("supplier", f"{supplier.name} is already on lot {lot.number}: change its status")
            )
        try:
            status = MembershipStatus(data.status)
        except ValueError:
            problems.append(("status", "Choose the membership's status from the list"))
        if data.start_date and data.end_date and data.end_date < data.start_date:
            problems.append(("end_date", "End date must be on or after the start date"))
        reason = (data.reason or "").strip() or "Added to the lot"
        if len(reason) > MAX_REASON:
            problems.append(("reason", f"Reason must be {MAX_REASON} characters or fewer"))
        raise_problems(problems)
        assert supplier is not None
        membership = Membership(
            lot_id=lot.id,
            supplier_id=supplier.id,
            status=status,
            start_date=data.start_date,
            end_date=data.end_date,
            illustrative=data.illustrative,
        )
        self.db.add(membership)
        self.db.flush()
        self.db.add(
            MembershipStatusChange(
                membership_id=membership.id,
                from_status=None,
                to_status=status,
                actor_id=getattr(actor, "id", None),
                reason=reason,
            )
        )
        record_event(
            self.db,
            action="membership.created",
            subject_type="membership",
            subject_id=membership.id,
            actor=actor,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
            reason=reason,
        )
        return membership

    def change_membership_status(
        self,
        membership: Membership,
        to_status: MembershipStatus | str,
        *,
        reason: str,
        actor: Any,
    ) -> MembershipStatusChange:
        problems: list[Problem] = []
        reason = check_reason(reason, problems)
        try:
            target = MembershipStatus(to_status)
        except ValueError:
            problems.append(("status", "Choose the new status from the list"))
        else:
            if target == membership.status:
                problems.append(("status", f"The membership is already {target.value}"))
        raise_problems(problems)
        change = MembershipStatusChange(
            membership_id=membership.id,
            from_status=membership.status,
            to_status=target,
            actor_id=getattr(actor, "id", None),
            reason=reason,
        )
        before = {"status": membership.status, "end_date": membership.end_date}
        membership.status = target
        if target == MembershipStatus.removed and membership.end_date is None:
            # A removal ends the membership today unless an end was already recorded.
            membership.end_date = clock.today()
        self.db.add(change)
        self.db.flush()
        record_event(
            self.db,
            action="membership.status_changed",
            subject_type="membership",
            subject_id=membership.id,
            actor=actor,
            before=before,
            after={"status": target, "end_date": membership.end_date},
            reason=reason,
        )
        return change


def framework_service_factory(context: Any, request: Any) -> FrameworkService:
    return FrameworkService(request.db)
