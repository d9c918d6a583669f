"""Scores that follow their inputs (issue 19): publishing or retracting an assessment, or any
review outcome that changes what counts, rescores the supplier in the same transaction.

Only the supplier's own scores are rewritten: its framework scores and overall, for the periods
the last full run (`registry score`) scored, by the same SQL as that run (`scores.write` with a
`Scope` of one supplier). The priors are the ones the last full run took from the population and
recorded in its audit event: a new rating moves the population's means a little for everyone,
and rewriting every supplier's score on each publication would be a full run, so the means stay
as that run took them until the next one (the scores' inputs name it: `priors_from`). A
framework that run did not see is shrunk toward its mean of all suppliers. With no full run of
this method on record, the update is a full run as of the latest scored date (or today).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.audit.services import record_event
from registry.db import utcnow
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.scores import method
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from registry.scoring.scores.sql import counted


@dataclasses.dataclass(frozen=True)
class Update:
    written: int
    superseded: int
    full_run: bool = False


def counts(a: Assessment) -> bool:
    """Whether an assessment is among those scores are computed from (its contract's
    publication aside, which the SQL checks)."""
    return (
        a.status == AssessmentStatus.published
        and a.retracted_at is None
        and a.rating != Rating.other
    )


def _priors_table(db: Session, run: scores.Run, supplier_ids: list[int]) -> Any:
    """The recorded priors the suppliers' components need, as rows (period_end, framework_id,
    mean): one per period and framework the suppliers have a counted rating on."""
    frameworks = db.execute(
        sa.select(Assessment.framework_id)
        .where(*counted(), Assessment.supplier_id.in_(supplier_ids))
        .distinct()
    ).scalars()
    rows = [
        sa.select(
            sa.literal(end, sa.Date).label("period_end"),
            sa.cast(sa.literal(framework_id), sa.Integer).label("framework_id"),
            sa.literal(priors.of(framework_id), sa.Float).label("mean"),
        )
        for framework_id in sorted(set(frameworks), key=lambda f: (f is not None, f or 0))
        for end, priors in sorted(run.priors.items())
    ]
    return sa.union_all(*rows).cte("priors") if rows else None


def rescore_suppliers(db: Session, supplier_ids: list[int], actor: Any, reason: str) -> Update:
    """Rewrite the suppliers' current scores from their ratings now, against the last full
    run's priors; record what changed in the audit trail."""
    run = scores.last_run(db)
    if run is None:
        as_of = (
            db.execute(
                sa.select(sa.func.max(Score.period_end)).where(Score.current.is_(True))
            ).scalar_one()
            or clock.today()
        )
        summary = scores.recompute(db, as_of, actor)
        return Update(summary.written, summary.superseded, full_run=True)
    priors = _priors_table(db, run, supplier_ids)
    periods = run.periods() if priors is not None else []
    scope = scores.Scope(priors_from=run.computed_at, suppliers=supplier_ids, priors=priors)
    if periods:
        written, superseded, _ = scores.write(db, periods, utcnow(), scope)
    else:  # no rating of theirs counts any more: retire their scores in the run's periods
        ends = sorted(run.priors)
        superseded = scores.retire(
            db,
            Score.current.is_(True),
            Score.supplier_id.in_(supplier_ids),
            Score.period_end.in_(ends),
        )
        written = 0
    record_event(
        db,
        action="scores.update",
        subject_type="scores",
        subject_id=",".join(str(s) for s in supplier_ids),
        actor=actor,
        reason=reason,
        after={
            "suppliers": supplier_ids,
            "as_of": run.as_of,
            "written": written,
            "superseded": superseded,
            "priors_from": run.computed_at,
            "method_version": method.METHOD_VERSION,
        },
    )
    return Update(written, superseded)


def follow(db: Session, a: Assessment, actor: Any, action: str, counted_before: bool) -> None:
    """After an assessment changed: rescore its supplier if it counted before or counts now."""
    if counted_before or counts(a):
        rescore_suppliers(db, [a.supplier_id], actor, f"{action} of assessment {a.id}")
