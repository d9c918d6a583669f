"""The auditors' review queue as services: which assessments wait, which can be acted on now
(and from when the others can), the queue's summary, and each item with its KPI's target and
what the evidence check found. /review shows them; an auditor's home page may read them too.

An assessment awaiting review cannot be acted on while its supplier's reply window is open and
they have not replied (`assessments.awaiting_reply`): it becomes actionable the day after the
window closes. The queue lists what is actionable now first, each part oldest first.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from registry.scoring.assessments import evidence
from registry.scoring.assessments import services as service
from registry.scoring.assessments.models import Assessment, AssessmentReply, AssessmentStatus

# The queue's stages: label and the statuses in it.
STAGES: dict[str, tuple[str, tuple[AssessmentStatus, ...]]] = {
    "review": ("Awaiting review", (AssessmentStatus.submitted,)),
    "publication": ("Awaiting publication", (AssessmentStatus.approved, AssessmentStatus.adjusted)),
}


def actionable_clause(today: datetime.date) -> sa.ColumnElement[bool]:
    """SQL: the assessment can be acted on today (not waiting on an open reply window)."""
    replied = sa.exists().where(AssessmentReply.assessment_id == Assessment.id)
    return sa.or_(
        Assessment.status != AssessmentStatus.submitted,
        Assessment.reply_due.is_(None),
        Assessment.reply_due < today,
        replied,
    )


def queue_select(stage: str, today: datetime.date) -> sa.Select[Any]:
    """The assessments in a stage of the queue: actionable now first, then oldest first."""
    statuses = STAGES[stage][1]
    return (
        sa.select(Assessment)
        .where(Assessment.status.in_(statuses), Assessment.retracted_at.is_(None))
        .options(
            selectinload(Assessment.supplier),
            selectinload(Assessment.framework),
            selectinload(Assessment.reply),
            selectinload(Assessment.obligation),
        )
        .order_by(
            sa.case((actionable_clause(today), 0), else_=1),
            Assessment.submitted_at,
            Assessment.id,
        )
    )


def actionable_from(a: Assessment, today: datetime.date) -> datetime.date | None:
    """The day an assessment waiting on its supplier's reply window can be acted on; None when
    it can be acted on now."""
    if a.status == AssessmentStatus.submitted and service.awaiting_reply(a, today):
        assert a.reply_due is not None
        return a.reply_due + datetime.timedelta(days=1)
    return None


@dataclasses.dataclass(frozen=True)
class Target:
    """The KPI target a measured value is read against."""

    value: Decimal
    unit: str | None
    direction: str | None


def target_of(a: Assessment) -> Target | None:
    o = a.obligation
    if o is None or o.kpi_target is None:
        return None
    return Target(o.kpi_target, o.kpi_unit, o.kpi_direction.value if o.kpi_direction else None)


@dataclasses.dataclass(frozen=True)
class QueueItem:
    """One assessment in the queue, with what an auditor needs beside it."""

    assessment: Assessment
    actionable_from: datetime.date | None  # None: actionable now
    target: Target | None
    contradictions: list[str]
    not_checked: str | None  # why the measurement check did not run

    @property
    def actionable(self) -> bool:
        return self.actionable_from is None

    @property
    def check(self) -> str:
        """The evidence check in words: a check that did not run says so."""
        if self.contradictions:
            return "Contradicts its measurements"
        return self.not_checked or "No contradiction found"


def queue_items(db: Session, items: list[Assessment], today: datetime.date) -> list[QueueItem]:
    """The assessments (one page of the queue) with their targets and evidence checks: two
    queries for the page, whatever its length."""
    ids = [a.id for a in items]
    found = evidence.contradictions(db, ids)
    unchecked = evidence.not_checked(db, ids)
    return [
        QueueItem(
            assessment=a,
            actionable_from=actionable_from(a, today),
            target=target_of(a),
            contradictions=found.get(a.id, []),
            not_checked=unchecked.get(a.id),
        )
        for a in items
    ]


@dataclasses.dataclass(frozen=True)
class QueueSummary:
    awaiting_review: int
    actionable_now: int  # of those awaiting review, not waiting on a reply window
    awaiting_publication: int
    oldest_submitted: datetime.datetime | None  # of those awaiting review

    @property
    def waiting_on_replies(self) -> int:
        return self.awaiting_review - self.actionable_now


def queue_summary(db: Session, today: datetime.date) -> QueueSummary:
    """The queue in figures: one query."""
    submitted = Assessment.status == AssessmentStatus.submitted
    publishable = Assessment.status.in_(STAGES["publication"][1])
    row = db.execute(
        sa.select(
            sa.func.count().filter(submitted),
            sa.func.count().filter(sa.and_(submitted, actionable_clause(today))),
            sa.func.count().filter(publishable),
            sa.func.min(Assessment.submitted_at).filter(submitted),
        ).where(Assessment.retracted_at.is_(None))
    ).one()
    return QueueSummary(
        awaiting_review=row[0],
        actionable_now=row[1],
        awaiting_publication=row[2],
        oldest_submitted=row[3],
    )
