"""Assessments: record, submit, reply, review (optimistic locking), publish and retract.

Rules live here, not in the forms, so they hold for every way in (forms, seed, CSV). Problems
are (field, message) pairs raised together. Every change is audited.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.audit.services import record_event
from registry.authnz import Role
from registry.clock import today
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.frameworks.models import Obligation
from registry.integers import whole_number
from registry.problems import Problem, ServiceError
from registry.records import Publication
from registry.scoring.assessments.evidence import flag_contradictions
from registry.scoring.assessments.models import (
    Assessment,
    AssessmentReply,
    AssessmentStatus,
    Rating,
)
from registry.scoring.clocks.rules import MIN_NARRATIVE
from registry.scoring.scores import updates as score_updates
from registry.suppliers.models import Supplier

SUBJECT = "assessment"
DEFAULT_REPLY_WINDOW_DAYS = 14
REPLY_WINDOW_SETTING = "registry.scoring.reply_window_days"
RATING_NAMES = ", ".join(r.value for r in Rating)
MAX_LINKS = 20


def reply_window_days(settings: dict[str, Any]) -> int:
    """The supplier's reply window in days: a whole number from 1 to 90 (CPARS gives 14)."""
    raw = str(settings.get(REPLY_WINDOW_SETTING, DEFAULT_REPLY_WINDOW_DAYS)).strip()
    days = whole_number(raw, 1, 90)
    if days is None:
        raise ConfigurationError(
            f"{REPLY_WINDOW_SETTING} must be a whole number of days from 1 to 90, not {raw!r}"
        )
    return days


class AssessmentError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


class AssessmentConflict(Exception):
    """Someone else changed the assessment since it was loaded."""


@dataclasses.dataclass
class AssessmentInput:
    kpi: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    rating: str = ""
    obligation_id: int | None = None
    measured_value: Decimal | None = None
    unit: str | None = None
    evidence: str = ""
    evidence_links: list[str] = dataclasses.field(default_factory=list)


def parse_rating(value: str | None, field: str = "rating") -> Rating:
    try:
        return Rating(value or "")
    except ValueError:
        raise AssessmentError([(field, f"Choose a rating on the scale: {RATING_NAMES}")]) from None


def parse_links(text: str) -> list[str]:
    """One link a line; each must be an http(s) address."""
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    problems = []
    for number, link in enumerate(links, 1):
        if not re.fullmatch(r"https?://[^\s<>\"]+", link) or len(link) > 500:
            problems.append(
                (
                    "evidence_links",
                    f"Evidence link {number} must be a web address starting https://",
                )
            )
    if len(links) > MAX_LINKS:
        problems.append(("evidence_links", f"Give at most {MAX_LINKS} evidence links"))
    if problems:
        raise AssessmentError(problems)
    return links


def _kpi_key(contract_id: int | None, obligation_id: int | None, supplier_id: int, kpi: str) -> str:
    if contract_id is not None:
        return f"contract:{contract_id}:{' '.join(kpi.lower().split())}"[:340]
    return f"obligation:{obligation_id}:supplier:{supplier_id}"


def snapshot(a: Assessment) -> dict[str, Any]:
    return {
        "status": a.status,
        "rating": a.rating,
        "original_rating": a.original_rating,
        "kpi": a.kpi,
        "period_start": a.period_start,
        "period_end": a.period_end,
        "measured_value": a.measured_value,
        "evidence": a.evidence,
        "evidence_links": list(a.evidence_links or []),
        "version": a.version,
    }


def kpi_key_for_contract(contract: Contract, kpi: str) -> str:
    return _kpi_key(contract.id, None, contract.supplier_id, kpi)


def check_input(db: Session, data: AssessmentInput, key: str) -> Rating:
    """The rules a new assessment must meet, without writing it (the CSV import checks a whole
    file first). Raises AssessmentError naming each field."""
    return _check(db, data, key, None)


def period_not_ended(period_end: datetime.date, today: datetime.date) -> Problem | None:
    """A rating is of a period that has ended: one ending today or later cannot be judged yet."""
    if period_end < today:
        return None
    return (
        "period_end",
        f"The period must have ended before it is rated: it ends on {period_end:%-d %B %Y}, "
        f"and today is {today:%-d %B %Y}",
    )


def _check(db: Session, data: AssessmentInput, key: str, exclude_id: int | None) -> Rating:
    problems: list[Problem] = []
    rating: Rating | None = None
    try:
        rating = parse_rating(data.rating)
    except AssessmentError as exc:
        problems.extend(exc.errors)
    if not data.kpi.strip():
        problems.append(("kpi", "Enter the KPI being assessed"))
    # Evidence-bound ratings: every rating rests on a narrative a reader can check.
    if len(data.evidence.strip()) < MIN_NARRATIVE:
        problems.append(
            (
                "evidence",
                "Enter the evidence narrative the rating rests on (what was measured, how, and "
                f"what happened), at least {MIN_NARRATIVE} characters",
            )
        )
    if data.period_start is None:
        problems.append(("period_start", "Enter the date the period starts"))
    if data.period_end is None:
        problems.append(("period_end", "Enter the date the period ends"))
    if data.period_end is not None and (unended := period_not_ended(data.period_end, today())):
        problems.append(unended)
    if data.period_start and data.period_end:
        if data.period_end < data.period_start:
            problems.append(("period_end", "The period must end on or after the day it starts"))
        else:
            overlap = db.execute(
                sa.select(Assessment.id, Assessment.period_start, Assessment.period_end).where(
                    Assessment.kpi_key == key,
                    Assessment.retracted_at.is_(None),
                    Assessment.period_start <= data.period_end,
                    Assessment.period_end >= data.period_start,
                    Assessment.id != (exclude_id or 0),
                )
            ).first()
            if overlap is not None:
                problems.append(
                    (
                        "period_start",
                        f"The period overlaps assessment {overlap.id} of the same KPI "
                        f"({overlap.period_start:%-d %B %Y} to {overlap.period_end:%-d %B %Y})",
                    )
                )
    if problems or rating is None:
        raise AssessmentError(problems)
    return rating


def _obligation_for(
    db: Session, contract: Contract, obligation_id: int | None
) -> Obligation | None:
    if obligation_id is None:
        return None
    obligation = db.get(Obligation, obligation_id)
    framework_id = contract.lot.framework_id if contract.lot else None
    if obligation is None or obligation.framework_id != framework_id:
        raise AssessmentError(
            [("obligation_id", "Choose an obligation of the contract's framework")]
        )
    return obligation


# An assessment names its contract: one of a draft would show the draft to the supplier and,
# once published, to everyone (issue 20).
UNPUBLISHED_CONTRACT = (
    "contract_id",
    "Publish the contract before assessing it: an assessment of a draft contract would show the "
    "draft to the supplier and, once published, to everyone",
)


def check_contract(contract: Contract | None) -> None:
    """Only a published contract (retracted or not: its page stays) may be assessed, submitted
    or published; AssessmentError names the contract_id field otherwise."""
    if contract is not None and contract.publication != Publication.published:
        raise AssessmentError([UNPUBLISHED_CONTRACT])


def create_for_contract(
    db: Session, contract: Contract, data: AssessmentInput, actor: Any, illustrative: bool = False
) -> Assessment:
    """A draft assessment of one KPI of a published contract."""
    check_contract(contract)
    obligation = _obligation_for(db, contract, data.obligation_id)
    if obligation is not None and not data.kpi.strip():
        data.kpi = obligation.title
    key = _kpi_key(contract.id, None, contract.supplier_id, data.kpi)
    rating = _check(db, data, key, None)
    assessment = Assessment(
        contract_id=contract.id,
        obligation_id=obligation.id if obligation else None,
        supplier_id=contract.supplier_id,
        framework_id=contract.lot.framework_id if contract.lot else None,
        buyer_id=contract.buyer_id,
        kpi_key=key,
        weight=obligation.weight if obligation else Decimal(1),
        illustrative=illustrative,
    )
    return _fill_and_record(db, assessment, data, rating, actor, "assessment.create")


def create_for_obligation(
    db: Session,
    obligation: Obligation,
    supplier: Supplier,
    data: AssessmentInput,
    actor: Any,
    illustrative: bool = False,
) -> Assessment:
    """A draft assessment of one obligation of a supplier on a framework or lot."""
    if obligation.supplier_id is not None and obligation.supplier_id != supplier.id:
        raise AssessmentError([("supplier", "This obligation is another supplier's")])
    data.kpi = data.kpi.strip() or obligation.title
    key = _kpi_key(None, obligation.id, supplier.id, data.kpi)
    rating = _check(db, data, key, None)
    assessment = Assessment(
        obligation_id=obligation.id,
        supplier_id=supplier.id,
        framework_id=obligation.framework_id,
        kpi_key=key,
        weight=obligation.weight,
        illustrative=illustrative,
    )
    return _fill_and_record(db, assessment, data, rating, actor, "assessment.create")


def _fill_and_record(
    db: Session, a: Assessment, data: AssessmentInput, rating: Rating, actor: Any, action: str
) -> Assessment:
    before = snapshot(a) if a.id is not None else None
    assert data.period_start is not None and data.period_end is not None
    a.kpi = data.kpi.strip()[:300]
    a.period_start = data.period_start
    a.period_end = data.period_end
    a.period_end_day = data.period_end.toordinal()
    a.rating = rating
    a.measured_value = data.measured_value
    a.unit = (data.unit or "").strip() or None
    a.evidence = data.evidence.strip()
    a.evidence_links = list(data.evidence_links)
    if a.id is None:
        a.status = AssessmentStatus.draft
        a.assessor_id = getattr(actor, "id", None)
        a.assessor_name = getattr(actor, "email", None) or "registry"
        db.add(a)
    _flush_and_audit(db, a, actor, action, before)
    return a


def _flush_and_audit(
    db: Session,
    a: Assessment,
    actor: Any,
    action: str,
    before: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    """Write the change, then its audit event (before and after), in the same transaction."""
    try:
        db.flush()
    except StaleDataError as exc:
        raise AssessmentConflict() from exc
    record_event(
        db,
        action=action,
        subject_type=SUBJECT,
        subject_id=a.id,
        actor=actor,
        before=before,
        after=snapshot(a),
        reason=reason,
    )


def edit(db: Session, a: Assessment, data: AssessmentInput, actor: Any) -> Assessment:
    """Drafts, and assessments an auditor sent back, may be corrected by their organisation."""
    if a.status not in (AssessmentStatus.draft, AssessmentStatus.challenged):
        raise AssessmentError([("", f"A {a.status} assessment cannot be edited")])
    if a.contract is not None:
        obligation = _obligation_for(db, a.contract, data.obligation_id)
        if obligation is not None and not data.kpi.strip():
            data.kpi = obligation.title
        a.obligation_id = obligation.id if obligation else None
        a.weight = obligation.weight if obligation else Decimal(1)
        a.kpi_key = _kpi_key(a.contract_id, None, a.supplier_id, data.kpi)
    rating = _check(db, data, a.kpi_key, a.id)
    return _fill_and_record(db, a, data, rating, actor, "assessment.edit")


def transition(
    db: Session,
    a: Assessment,
    actor: Any,
    action: str,
    reason: str | None = None,
    rescore: bool = True,
    **changes: Any,
) -> Assessment:
    """Apply one step of an assessment's life, in the audit trail; `rescore` False only where
    every score is recomputed afterwards anyway (the seed)."""
    before = snapshot(a)
    counted_before = score_updates.counts(a)
    for name, value in changes.items():
        setattr(a, name, value)
    _flush_and_audit(db, a, actor, action, before, reason)
    # Scores follow their inputs: the supplier is rescored in this transaction (issue 19).
    if rescore:
        score_updates.follow(db, a, actor, action, counted_before)
    return a


def submit(
    db: Session, a: Assessment, actor: Any, today: datetime.date, window_days: int
) -> Assessment:
    """Send for review; the supplier's reply window opens now. A rating that contradicts its
    measurements is flagged for the auditor in the audit trail."""
    if a.status not in (AssessmentStatus.draft, AssessmentStatus.challenged):
        raise AssessmentError([("", f"A {a.status} assessment cannot be submitted")])
    check_contract(a.contract)
    submitted = utcnow()
    transition(
        db,
        a,
        actor,
        "assessment.submit",
        status=AssessmentStatus.submitted,
        submitted_at=submitted,
        reply_due=reply_due(submitted, window_days, today),
    )
    flag_contradictions(db, a, actor)
    return a


def reply_due(
    submitted: datetime.datetime, window_days: int, today: datetime.date | None = None
) -> datetime.date:
    """The last day the supplier may reply: the window runs from the day of submission (or from
    the caller's today, if later), never ending before it."""
    start = max(submitted.astimezone(datetime.UTC).date(), today or submitted.date())
    return start + datetime.timedelta(days=max(window_days, 0))


def reply(
    db: Session, a: Assessment, actor: Any, text: str, today: datetime.date
) -> AssessmentReply:
    """The supplier's right of reply, once, within the window."""
    if actor is None or actor.role != Role.supplier or actor.supplier_id != a.supplier_id:
        raise AssessmentError([("", "Only the assessed supplier's users may reply")])
    if a.reply is not None:
        raise AssessmentError(
            [("", "Your company has already replied to this assessment: a rating has one reply")]
        )
    if a.status == AssessmentStatus.draft or a.reply_due is None:
        raise AssessmentError([("", "This assessment has not been submitted")])
    if today > a.reply_due:
        raise AssessmentError([("text", f"The reply window closed on {a.reply_due:%-d %B %Y}")])
    text = (text or "").strip()
    if not text:
        raise AssessmentError([("text", "Enter your reply")])
    if len(text) > 10_000:
        raise AssessmentError([("text", "Your reply must be 10,000 characters or fewer")])
    answer = AssessmentReply(
        supplier_id=a.supplier_id,
        author_id=actor.id,
        text=text,
        illustrative=a.illustrative,
    )
    answer.assessment = a  # the reply's row only: the assessment's version is not bumped
    db.add(answer)
    db.flush()
    record_event(
        db,
        action="assessment.reply",
        subject_type=SUBJECT,
        subject_id=a.id,
        actor=actor,
        after={"reply_id": answer.id, "text": text},
    )
    return answer


class ReviewAction:
    approve = "approve"
    challenge = "challenge"
    adjust = "adjust"
    publish = "publish"


def awaiting_reply(a: Assessment, today: datetime.date) -> bool:
    return a.reply is None and a.reply_due is not None and today <= a.reply_due


def review(
    db: Session,
    a: Assessment,
    actor: Any,
    action: str,
    expected_version: int,
    today: datetime.date,
    reason: str = "",
    new_rating: str | None = None,
) -> Assessment:
    """An auditor approves, challenges (sends back) or adjusts a submitted assessment, or
    publishes an approved or adjusted one. `expected_version` is the version the auditor saw."""
    if actor is None or actor.role not in (Role.auditor, Role.admin):
        raise AssessmentError([("", "Only auditors may review assessments")])
    if a.version != expected_version:
        raise AssessmentConflict()
    reason = (reason or "").strip()
    if action == ReviewAction.publish:
        if a.status not in (AssessmentStatus.approved, AssessmentStatus.adjusted):
            raise AssessmentError([("", "Only approved or adjusted assessments can be published")])
        check_contract(a.contract)
        return transition(
            db,
            a,
            actor,
            "assessment.publish",
            reason or None,
            status=AssessmentStatus.published,
            published_at=utcnow(),
        )
    if a.status != AssessmentStatus.submitted:
        raise AssessmentError([("", f"A {a.status} assessment is not awaiting review")])
    if awaiting_reply(a, today):
        assert a.reply_due is not None
        raise AssessmentError(
            [
                (
                    "",
                    f"The supplier may reply until {a.reply_due:%-d %B %Y}: review it after that, "
                    "or once they have replied",
                )
            ]
        )
    common = {"reviewed_at": utcnow(), "reviewed_by_id": actor.id, "review_reason": reason or None}
    if action == ReviewAction.approve:
        return transition(
            db,
            a,
            actor,
            "assessment.approve",
            reason or None,
            status=AssessmentStatus.approved,
            **common,
        )
    if action == ReviewAction.challenge:
        if not reason:
            raise AssessmentError([("reason", "Enter why you are sending the assessment back")])
        return transition(
            db,
            a,
            actor,
            "assessment.challenge",
            reason,
            status=AssessmentStatus.challenged,
            **common,
        )
    if action == ReviewAction.adjust:
        problems: list[Problem] = []
        rating: Rating | None = None
        try:
            rating = parse_rating(new_rating, "new_rating")
        except AssessmentError as exc:
            problems.extend(exc.errors)
        if rating is not None and rating == a.rating:
            problems.append(("new_rating", "Choose a rating different from the assessor's"))
        if not reason:
            problems.append(("reason", "Enter why you are adjusting the rating"))
        if problems:
            raise AssessmentError(problems)
        return transition(
            db,
            a,
            actor,
            "assessment.adjust",
            reason,
            status=AssessmentStatus.adjusted,
            original_rating=a.rating,
            rating=rating,
            **common,
        )
    raise AssessmentError([("action", "Choose approve, challenge, adjust or publish")])


def retract(db: Session, a: Assessment, actor: Any, reason: str) -> Assessment:
    """Withdraw an assessment; it stays on record, with who, when and why."""
    if a.retracted_at is not None:
        raise AssessmentError([("", "This assessment is already retracted")])
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError([("reason", "Enter why the assessment is being retracted")])
    return transition(
        db,
        a,
        actor,
        "assessment.retract",
        reason,
        status=AssessmentStatus.retracted,
        retracted_at=utcnow(),
        retracted_by_id=getattr(actor, "id", None),
        retraction_reason=reason,
    )
