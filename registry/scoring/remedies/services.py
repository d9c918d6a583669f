"""Breach and termination notices, remediation plans, exclusions, and membership status changes.

Each write checks its input (problems as (field, message) pairs, nothing written) and is audited.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import add_audited, record_event, snapshot_of
from registry.frameworks.models import Membership, MembershipStatus, MembershipStatusChange
from registry.problems import ServiceError
from registry.records import Publication
from registry.scoring.remedies.models import (
    Breach,
    BreachKind,
    Exclusion,
    ExclusionKind,
    RemediationPlan,
    RemediationStatus,
)

NOTICE_DAYS = 30  # a breach notice is due within 30 days of the breach
MAX_EXCLUSION_YEARS = 5  # Procurement Act 2023: exclusion for at most five years


class RemedyError(ServiceError):
    """The remedy cannot be recorded as asked. `errors` are (field name, message) pairs."""


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_breach(
    db: Session,
    *,
    supplier_id: int,
    kind: str,
    occurred_on: datetime.date,
    description: str,
    actor: Any,
    contract_id: int | None = None,
    framework_id: int | None = None,
    notice_published_on: datetime.date | None = None,
    publication: Publication = Publication.published,
    illustrative: bool = False,
) -> Breach:
    problems = []
    if kind not in {k.value for k in BreachKind}:
        problems.append(("kind", "Choose a breach notice or a termination notice"))
    if not description.strip():
        problems.append(("description", "Describe the breach"))
    if notice_published_on is not None and notice_published_on < occurred_on:
        problems.append(("notice_published_on", "The notice cannot come before the breach"))
    if problems:
        raise RemedyError(problems)
    breach = Breach(
        kind=BreachKind(kind),
        supplier_id=supplier_id,
        contract_id=contract_id,
        framework_id=framework_id,
        occurred_on=occurred_on,
        notice_due=occurred_on + datetime.timedelta(days=NOTICE_DAYS),
        notice_published_on=notice_published_on,
        description=description.strip(),
        publication=publication,
        created_by_id=getattr(actor, "id", None),
        illustrative=illustrative,
    )
    _add_and_record(
        db,
        breach,
        "breach.create",
        "breach",
        actor,
        ("kind", "supplier_id", "occurred_on", "notice_due"),
    )
    return breach


def record_remediation_plan(
    db: Session,
    *,
    supplier_id: int,
    gap: str,
    agreed_date: datetime.date,
    actor: Any,
    today: datetime.date,
    obligation_id: int | None = None,
    membership_id: int | None = None,
    progress: str = "",
    progress_percent: int = 0,
    publication: Publication = Publication.published,
    illustrative: bool = False,
) -> RemediationPlan:
    problems = []
    if not gap.strip():
        problems.append(("gap", "Describe the gap: what is unmet, and by how much"))
    if not 0 <= progress_percent <= 100:
        problems.append(("progress_percent", "Progress must be between 0 and 100 per cent"))
    if problems:
        raise RemedyError(problems)
    plan = RemediationPlan(
        supplier_id=supplier_id,
        obligation_id=obligation_id,
        membership_id=membership_id,
        gap=gap.strip(),
        agreed_date=agreed_date,
        progress=progress.strip(),
        progress_percent=progress_percent,
        status=RemediationStatus.open,
        publication=publication,
        created_by_id=getattr(actor, "id", None),
        illustrative=illustrative,
    )
    _add_and_record(
        db,
        plan,
        "remediation.create",
        "remediation_plan",
        actor,
        ("supplier_id", "gap", "agreed_date", "progress_percent"),
    )
    return plan


def record_exclusion(
    db: Session,
    *,
    supplier_id: int,
    ground: str,
    kind: str,
    start_date: datetime.date,
    expected_end_date: datetime.date,
    actor: Any,
    publication: Publication = Publication.published,
    illustrative: bool = False,
) -> Exclusion:
    problems = []
    if not ground.strip():
        problems.append(("ground", "Enter the exclusion ground"))
    if kind not in {k.value for k in ExclusionKind}:
        problems.append(("kind", "Choose mandatory or discretionary"))
    if expected_end_date < start_date:
        problems.append(("expected_end_date", "The exclusion must end after it starts"))
    elif expected_end_date > _add_years(start_date, MAX_EXCLUSION_YEARS):
        problems.append(
            ("expected_end_date", "An exclusion lasts at most five years from its start")
        )
    if problems:
        raise RemedyError(problems)
    exclusion = Exclusion(
        supplier_id=supplier_id,
        ground=ground.strip(),
        kind=ExclusionKind(kind),
        start_date=start_date,
        expected_end_date=expected_end_date,
        publication=publication,
        created_by_id=getattr(actor, "id", None),
        illustrative=illustrative,
    )
    _add_and_record(
        db,
        exclusion,
        "exclusion.create",
        "exclusion",
        actor,
        ("supplier_id", "ground", "kind", "start_date", "expected_end_date"),
    )
    return exclusion


def change_membership_status(
    db: Session, membership: Membership, to_status: str, reason: str, actor: Any
) -> MembershipStatusChange:
    """Move a supplier on a lot to in remediation, suspended, active or removed, with a reason."""
    problems = []
    if to_status not in {s.value for s in MembershipStatus}:
        problems.append(("status", "Choose active, suspended, in remediation or removed"))
    elif MembershipStatus(to_status) == membership.status:
        problems.append(("status", f"The membership is already {membership.status}"))
    if membership.status == MembershipStatus.removed:
        problems.append(("status", "A removed membership cannot change status"))
    if not reason.strip():
        problems.append(("reason", "Enter the reason for the change"))
    if problems:
        raise RemedyError(problems)
    before = membership.status
    change = MembershipStatusChange(
        membership_id=membership.id,
        from_status=before,
        to_status=MembershipStatus(to_status),
        actor_id=getattr(actor, "id", None),
        reason=reason.strip(),
    )
    membership.status = MembershipStatus(to_status)
    db.add(change)
    db.flush()
    record_event(
        db,
        action="membership.status",
        subject_type="membership",
        subject_id=membership.id,
        actor=actor,
        actor_label=None if actor else "system",
        before={"status": before},
        after={"status": membership.status},
        reason=reason.strip(),
    )
    return change


def _add_and_record(
    db: Session, record: Any, action: str, subject_type: str, actor: Any, shown: tuple[str, ...]
) -> None:
    """Store a new remedy record and its audit event (these of its attributes after); with no
    actor (the seed, a command) the trail names the system."""
    add_audited(
        db,
        record,
        snapshot=snapshot_of(*shown),
        action=action,
        subject_type=subject_type,
        actor=actor,
        actor_label=None if actor else "system",
    )


def public_remedies(db: Session, supplier_id: int) -> dict[str, list[Any]]:
    """What the scorecard shows: published, unretracted breaches, open plans and exclusions."""
    supplier = {"supplier_id": supplier_id}
    return {name: list(db.execute(query, supplier).scalars()) for name, query in _public().items()}


@functools.cache
def _public() -> dict[str, Any]:
    """public_remedies' statements, built once (the supplier is bound when they run)."""

    def published(model: Any) -> Any:
        return sa.select(model).where(
            model.supplier_id == sa.bindparam("supplier_id", type_=sa.Integer),
            model.publication == Publication.published,
            model.retracted_at.is_(None),
        )

    return {
        "breaches": published(Breach).order_by(Breach.occurred_on.desc()),
        "plans": published(RemediationPlan)
        .where(RemediationPlan.status == RemediationStatus.open)
        .order_by(RemediationPlan.agreed_date),
        "exclusions": published(Exclusion).order_by(Exclusion.start_date.desc()),
    }
