"""Incremental scoring: `registry score` rescores only what the assessments that changed move.

The same fingerprints as incremental detection (registry.changes.fingerprints), over what the
scores read of each assessment (supplier, framework, rating, weight, period, status, retraction,
and its contract's publication), per supplier and per framework. A supplier's scores depend on
its own ratings and on the priors of its frameworks, which depend on every rating on them, so a
run rescores:
- the suppliers whose assessments changed, and every supplier rated on a framework whose
  assessments changed (its prior moved), in the periods the last run scored;
- every supplier in a period the last run did not score (the as-of date moved, a new year), and
  retires the scores of a period no longer scored;
with the priors taken from the population afresh for every period, by the full run's own SQL,
and recorded in the run's audit event as a full run records them. The first run, a change of
method, a full run recorded by anything else since (its scores are not those this job last saw),
and `--full` recompute everything.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.changes import fingerprints
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.figures import services as record_figures
from registry.figures.totals import buyers_rated
from registry.scoring.assessments.models import Assessment
from registry.scoring.scores import method
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from registry.scoring.scores.sql import NO_FRAMEWORK, Period, population_prior_rows
from registry.sql import fresh_table

JOB = "score"
ASSESSMENTS: sa.Table = Assessment.__table__  # type: ignore[assignment]
CONTRACTS: sa.Table = Contract.__table__  # type: ignore[assignment]
# What the scores read of an assessment; an edit of anything else (evidence, a reply) moves none.
READ = ("supplier_id", "framework_id", "rating", "weight", "period_end_day", "status")
PRIORS = sa.Table(
    "tmp_score_priors",
    sa.MetaData(),
    sa.Column("period_end", sa.Date),
    sa.Column("framework_id", sa.Integer),
    sa.Column("mean", sa.Float),
    prefixes=["TEMPORARY"],
)
AFFECTED = sa.Table(
    "tmp_scored_suppliers",
    sa.MetaData(),
    sa.Column("supplier_id", sa.Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)


def assessment_fingerprints() -> list[sa.Select[Any]]:
    """Per supplier and per framework (no framework as NO_FRAMEWORK): every assessment's
    fingerprint, counted or not (a publication or a retraction changes it)."""
    a = ASSESSMENTS.c
    columns = [*(a[name] for name in READ), a.retracted_at, CONTRACTS.c.publication]
    digest = fingerprints.row_digest(columns, [a.id])
    framework = sa.func.coalesce(a.framework_id, NO_FRAMEWORK)
    return [
        sa.select(
            sa.literal(kind, sa.String).label("kind"),
            sa.cast(subject, sa.String).label("subject"),
            fingerprints.fingerprint(digest, [a.id]).label("fingerprint"),
        )
        .select_from(ASSESSMENTS.outerjoin(CONTRACTS, CONTRACTS.c.id == a.contract_id))
        .group_by(subject)
        for kind, subject in (("supplier", a.supplier_id), ("framework", framework))
    ]


def settings_fingerprint() -> str:
    """The method a run scored by: a change means a full run."""
    settings = {
        "version": method.METHOD_VERSION,
        "window": method.WINDOW_DAYS,
        "prior_weight": method.PRIOR_WEIGHT,
        "points": {rating.name: points for rating, points in method.POINTS.items()},
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _literals(rows: list[tuple[str, str, str]]) -> list[sa.Select[Any]]:
    """Fingerprints given as values (the periods scored, the full run on record)."""
    selects: list[sa.Select[Any]] = []
    for kind, subject, value in rows:
        columns: list[Any] = [
            sa.literal(text, sa.String).label(name)
            for name, text in (("kind", kind), ("subject", subject), ("fingerprint", value))
        ]
        selects.append(sa.select(*columns))
    return selects


@dataclasses.dataclass
class ScorePlan:
    changes: fingerprints.Changes
    full: bool
    why: str
    periods: list[Period]
    new: list[Period]  # periods the last run did not score: every supplier
    kept: list[Period]  # periods it scored: the affected suppliers only
    gone: list[datetime.date]  # period ends it scored that are no longer scored

    def summary(self, affected: int) -> str:
        if self.full:
            return f"Full run ({self.why}): every supplier rescored."
        c = self.changes
        if c.nothing:
            return "Nothing changed since the last run: nothing rescored."
        return (
            f"{c.count('supplier')} suppliers and {c.count('framework')} frameworks changed; "
            f"{affected} suppliers rescored in {len(self.kept)} periods, every supplier in "
            f"{len(self.new)} new periods, {len(self.gone)} periods retired."
        )


def plan_scoring(db: Session, as_of: datetime.date, *, full: bool = False) -> ScorePlan:
    """Compare the assessments with the last run's fingerprints and decide what to rescore."""
    periods = scores.scoring_periods(db, as_of)
    run = scores.last_run(db)
    sources = assessment_fingerprints()
    sources += _literals(
        [("period", end.isoformat(), label) for label, end in periods]
        # The full run on record: the last run's own, unless something else ran one since.
        + [("run", "last", run.computed_at if run else "none")]
    )
    changes = fingerprints.compare(db, JOB, sources, settings_fingerprint(), as_of.isoformat())
    why = (
        "first run"
        if changes.first_run
        else "method changed"
        if changes.settings_changed
        else "another full run since the last"
        if changes.count("run") or run is None
        else "--full"
        if full
        else ""
    )
    stored = {
        datetime.date.fromisoformat(subject)
        for subject in db.execute(
            sa.select(fingerprints.FINGERPRINTS.c.subject).where(
                fingerprints.FINGERPRINTS.c.job == JOB,
                fingerprints.FINGERPRINTS.c.kind == "period",
            )
        ).scalars()
    }
    ends = {end for _, end in periods}
    return ScorePlan(
        changes=changes,
        full=bool(why),
        why=why,
        periods=periods,
        new=[p for p in periods if p[1] not in stored],
        kept=[p for p in periods if p[1] in stored],
        gone=sorted(stored - ends),
    )


def _affected(db: Session) -> int:
    """The suppliers to rescore in the kept periods (into AFFECTED): those whose assessments
    changed and those rated on a framework whose assessments changed."""
    fresh_table(db, AFFECTED)
    changed = fingerprints.changed_subjects("supplier").subquery()
    frameworks = fingerprints.changed_subjects("framework").subquery()
    rated = sa.select(Assessment.supplier_id).where(
        sa.func.coalesce(Assessment.framework_id, NO_FRAMEWORK).in_(
            sa.select(sa.cast(frameworks.c.subject, sa.Integer))
        )
    )
    ids = sa.union(sa.select(sa.cast(changed.c.subject, sa.Integer)), rated).subquery()
    db.execute(AFFECTED.insert().from_select(["supplier_id"], sa.select(ids.c[0])))
    return int(db.execute(sa.select(sa.func.count()).select_from(AFFECTED)).scalar_one())


def _rescore(db: Session, plan: ScorePlan, as_of: datetime.date) -> scores.RecomputeSummary:
    """Rescore what the plan names, against the population's priors now."""
    affected = _affected(db)
    now = utcnow()
    computed_at = now.isoformat()
    priors = scores.priors_of(db.execute(population_prior_rows(plan.periods)))
    fresh_table(db, PRIORS)
    rows = [
        {"period_end": end, "framework_id": framework_id, "mean": mean}
        for end, p in sorted(priors.items())
        for framework_id, mean in p.frameworks.items()
    ]
    if rows:
        db.execute(PRIORS.insert(), rows)
    given = sa.select(PRIORS).cte("priors")
    written = superseded = 0
    if plan.gone:
        superseded += scores.retire(db, Score.current.is_(True), Score.period_end.in_(plan.gone))
    parts = [
        (plan.new, scores.Scope(priors_from=computed_at, priors=given)),
        (
            plan.kept,
            scores.Scope(
                priors_from=computed_at, suppliers=sa.select(AFFECTED.c.supplier_id), priors=given
            ),
        ),
    ]
    for periods, scope in parts:
        if periods and (scope.suppliers is None or affected):
            done = scores.write(db, periods, now, scope)
            written, superseded = written + done[0], superseded + done[1]
    PRIORS.drop(db.connection())
    AFFECTED.drop(db.connection())
    summary = scores.record_run(db, as_of, plan.periods, computed_at, written, superseded, priors)
    summary.affected = affected
    return summary


def _refresh_ratings(db: Session, plan: ScorePlan) -> None:
    """The stored ratings (registry.figures.totals) of the suppliers whose assessments changed
    and of those suppliers' buyers; everyone's on a full run. Web writes keep them in their own
    transaction; this catches what was written around the site."""
    if plan.full:
        record_figures.refresh_ratings(db, None, None)
    elif not plan.changes.nothing:
        changed = fingerprints.changed_subjects("supplier").subquery()
        suppliers = sa.select(sa.cast(changed.c.subject, sa.Integer))
        record_figures.refresh_ratings(db, suppliers, buyers_rated(suppliers))


def score(
    db: Session, as_of: datetime.date, *, full: bool = False
) -> tuple[str, scores.RecomputeSummary]:
    """`registry score`: rescore what changed since the last run (or everything); returns what
    it did in words and the run's summary."""
    plan = plan_scoring(db, as_of, full=full)
    if plan.full:
        summary = scores.recompute(db, as_of)
        said = plan.summary(0)
    elif plan.changes.nothing:
        summary = scores.current_summary(db, plan.periods)
        said = plan.summary(0)
    else:
        summary = _rescore(db, plan, as_of)
        said = plan.summary(summary.affected)
    _refresh_ratings(db, plan)
    if plan.full or not plan.changes.nothing:
        run = scores.last_run(db)
        # What the next run compares with: the full run this one recorded.
        db.execute(
            sa.update(fingerprints.NOW)
            .where(fingerprints.NOW.c.kind == "run")
            .values(fingerprint=run.computed_at if run else "none")
        )
        fingerprints.remember(db, JOB)
    fingerprints.forget_temporary(db)
    return said, summary
