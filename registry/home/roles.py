"""What each role's home (the signed-in `/`) shows: the first few records of each piece of the
user's work, with its total, read through the services the list pages use. Each section is a
`Page` of at most `ROWS` items; its "see all" link goes to the filtered list page."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from registry.accounts.models import User
from registry.api.models import ApiToken
from registry.authnz import Role
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.flags.detectors import DETECTORS
from registry.flags.models import ACTIVE_STATUSES, Flag, FlagGroup, FlagStatus, Severity
from registry.opendata import quality
from registry.opendata.models import ImportRun, ImportRunOcid
from registry.pagination import Page, paginate
from registry.records import Publication
from registry.scoring.assessments import evidence
from registry.scoring.assessments.models import Assessment, AssessmentReply, AssessmentStatus
from registry.scoring.assessments.public import of_published_contract
from registry.scoring.clocks import rules as clock_rules
from registry.scoring.clocks import services as clocks
from registry.scoring.clocks import summaries
from registry.scoring.scores.scorecard import scorecard
from registry.suppliers.models import Supplier

ROWS = 5
# The review queue's ages, as /review?age= filters them.
AGES = (7, 14, 30)
# How many of the oldest waiting assessments are checked for contradictions.
CONTRADICTION_WINDOW = 200


def first_rows(db: Session, query: sa.Select[Any], rows: int = ROWS) -> Page:
    """The first `rows` of a list and how many there are in all."""
    return paginate(db, query, 1, size=rows)


def _severity_order() -> Any:
    return sa.case(
        (Flag.severity == Severity.high, 0), (Flag.severity == Severity.medium, 1), else_=2
    )


def _active_flags(condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(Flag)
        .where(condition, Flag.status.in_(ACTIVE_STATUSES))
        .order_by(_severity_order(), Flag.last_detected.desc(), Flag.id.desc())
    )


def _clocks(db: Session, scope: clocks.Scope, as_of: datetime.date) -> dict[str, Any]:
    """Assessments overdue and due soon: the first few of each, and every state's total."""
    totals, overdue = summaries.state_summary(db, scope, as_of, clock_rules.OVERDUE, ROWS)
    due_soon = summaries.clock_page(
        db, scope, as_of, (clock_rules.DUE_SOON,), 1, ROWS, totals[clock_rules.DUE_SOON]
    )
    return {"overdue": overdue, "due_soon": due_soon, "totals": totals}


# -- officer ----------------------------------------------------------------------------------


def buyer_imports(db: Session, buyer_id: int) -> Page:
    """The imports that brought in the buyer's contracts, newest first."""
    runs = (
        sa.select(ImportRunOcid.run_id)
        .join(Contract, Contract.ocid == ImportRunOcid.ocid)
        .where(Contract.buyer_id == buyer_id)
    )
    return first_rows(
        db, sa.select(ImportRun).where(ImportRun.id.in_(runs)).order_by(ImportRun.id.desc())
    )


def officer_home(db: Session, user: Any, as_of: datetime.date) -> dict[str, Any]:
    buyer = db.get(Buyer, user.buyer_id) if user.buyer_id is not None else None
    if buyer is None:
        return {"buyer": None}
    draft_first = sa.case((Contract.publication == Publication.draft, 0), else_=1)
    contracts = first_rows(
        db,
        sa.select(Contract)
        .options(selectinload(Contract.supplier))
        .where(Contract.buyer_id == buyer.id, Contract.retracted_at.is_(None))
        .order_by(draft_first, Contract.created.desc(), Contract.id.desc()),
    )
    drafts = db.execute(
        sa.select(sa.func.count()).where(
            Contract.buyer_id == buyer.id,
            Contract.publication == Publication.draft,
            Contract.retracted_at.is_(None),
        )
    ).scalar_one()
    sent_back = first_rows(
        db,
        sa.select(Assessment)
        .options(selectinload(Assessment.supplier))
        .where(
            Assessment.buyer_id == buyer.id,
            Assessment.status == AssessmentStatus.challenged,
            Assessment.retracted_at.is_(None),
        )
        .order_by(Assessment.reviewed_at.desc(), Assessment.id.desc()),
    )
    # Submitted assessments stop a clock too: the officer has done their part.
    scope = clocks.Scope(published_only=False, buyer_id=buyer.id)
    return {
        "buyer": buyer,
        "contracts": contracts,
        "drafts": drafts,
        "sent_back": sent_back,
        "clocks": _clocks(db, scope, as_of),
        "flags": first_rows(db, _active_flags(Flag.buyer_id == buyer.id)),
        "imports": buyer_imports(db, buyer.id),
    }


# -- auditor ----------------------------------------------------------------------------------


def _replied() -> Any:
    return Assessment.id.in_(sa.select(AssessmentReply.assessment_id))


def actionable_now(as_of: datetime.date) -> sa.ColumnElement[bool]:
    """A submitted assessment an auditor may act on today: its supplier has replied, or their
    reply window has closed (or there was none)."""
    return sa.or_(_replied(), Assessment.reply_due.is_(None), Assessment.reply_due < as_of)


def _waiting() -> list[sa.ColumnElement[bool]]:
    return [Assessment.status == AssessmentStatus.submitted, Assessment.retracted_at.is_(None)]


def auditor_home(db: Session, as_of: datetime.date) -> dict[str, Any]:
    oldest_first = (Assessment.submitted_at, Assessment.id)
    queue = first_rows(
        db,
        sa.select(Assessment)
        .options(
            selectinload(Assessment.supplier),
            selectinload(Assessment.reply),
        )
        .where(*_waiting())
        .order_by(*oldest_first),
    )
    count = sa.select(sa.func.count()).select_from(Assessment)
    actionable = db.execute(count.where(*_waiting(), actionable_now(as_of))).scalar_one()
    now = utcnow()
    ages = {
        days: db.execute(
            count.where(*_waiting(), Assessment.submitted_at <= now - datetime.timedelta(days=days))
        ).scalar_one()
        for days in AGES
    }
    to_publish = db.execute(
        count.where(
            Assessment.status.in_((AssessmentStatus.approved, AssessmentStatus.adjusted)),
            Assessment.retracted_at.is_(None),
        )
    ).scalar_one()
    oldest_ids = list(
        db.execute(
            sa.select(Assessment.id)
            .where(*_waiting())
            .order_by(*oldest_first)
            .limit(CONTRADICTION_WINDOW)
        ).scalars()
    )
    found = evidence.contradictions(db, oldest_ids)
    contradicted_ids = [i for i in oldest_ids if i in found][:ROWS]
    contradicted = {
        a.id: a
        for a in db.execute(
            sa.select(Assessment)
            .options(selectinload(Assessment.supplier))
            .where(Assessment.id.in_(contradicted_ids))
        ).scalars()
    }
    open_by_severity = dict.fromkeys((Severity.high, Severity.medium, Severity.low), 0)
    for severity, n in db.execute(
        sa.select(Flag.severity, sa.func.count())
        .where(Flag.status == FlagStatus.open)
        .group_by(Flag.severity)
    ):
        open_by_severity[Severity(severity)] = n
    return {
        "queue": queue,
        "actionable": actionable,
        "ages": ages,
        "to_publish": to_publish,
        "contradictions": [(contradicted[i], found[i]) for i in contradicted_ids],
        "contradictions_total": len(found),
        "contradiction_window": min(len(oldest_ids), CONTRADICTION_WINDOW),
        "open_by_severity": open_by_severity,
        "flags": first_rows(db, _active_flags(Flag.status == FlagStatus.open)),
    }


# -- supplier ---------------------------------------------------------------------------------


def awaiting_reply(supplier_id: int, as_of: datetime.date) -> sa.Select[Any]:
    """The supplier's submitted ratings it may still reply to, the soonest closing first."""
    return (
        sa.select(Assessment)
        .where(
            Assessment.supplier_id == supplier_id,
            Assessment.status == AssessmentStatus.submitted,
            Assessment.retracted_at.is_(None),
            Assessment.reply_due >= as_of,
            ~_replied(),
            of_published_contract(),
        )
        .order_by(Assessment.reply_due, Assessment.id)
    )


def supplier_home(db: Session, user: Any, as_of: datetime.date) -> dict[str, Any]:
    supplier = db.get(Supplier, user.supplier_id) if user.supplier_id is not None else None
    if supplier is None:
        return {"supplier": None}
    group_flags = Flag.id.in_(
        sa.select(FlagGroup.flag_id).where(FlagGroup.group_id == supplier.group_id)
    )
    return {
        "supplier": supplier,
        "awaiting": first_rows(db, awaiting_reply(supplier.id, as_of)),
        "card": scorecard(db, supplier.id, as_of),
        "flags": first_rows(db, _active_flags(group_flags)),
    }


# -- admin ------------------------------------------------------------------------------------


def admin_home(db: Session) -> dict[str, Any]:
    by_role = dict.fromkeys(Role, 0)
    for role, n in db.execute(
        sa.select(User.role, sa.func.count()).where(User.is_active).group_by(User.role)
    ):
        by_role[Role(role)] = n
    now = utcnow()
    tokens = first_rows(
        db,
        sa.select(ApiToken)
        .options(selectinload(ApiToken.user))
        .where(
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
        .order_by(ApiToken.id.desc()),
    )
    imports = first_rows(db, sa.select(ImportRun).order_by(ImportRun.id.desc()))
    return {
        "by_role": by_role,
        "users": first_rows(db, sa.select(User).order_by(User.created.desc(), User.id.desc())),
        "tokens": tokens,
        "imports": imports,
        "findings": quality.findings_by_run(db, [run.id for run in imports.items]),
    }


def role_home(db: Session, user: Any, as_of: datetime.date) -> dict[str, Any]:
    """The home of the user's role: its template's name and what it shows."""
    common = {"as_of": as_of, "detector_titles": {d.id: d.title for d in DETECTORS.values()}}
    if user.role == Role.officer:
        return {**common, "role_template": "home/officer.html", **officer_home(db, user, as_of)}
    if user.role == Role.auditor:
        return {**common, "role_template": "home/auditor.html", **auditor_home(db, as_of)}
    if user.role == Role.supplier:
        return {**common, "role_template": "home/supplier.html", **supplier_home(db, user, as_of)}
    return {**common, "role_template": "home/admin.html", **admin_home(db)}
