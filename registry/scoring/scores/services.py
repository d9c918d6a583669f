"""Recompute and verify scores, set-based (the SQL is in `registry.scoring.scores.sql`).

`recompute` (a full run, `registry score`) scores every supplier in one statement and writes only
the scores that changed; it takes the priors (the means scores are shrunk toward) from the
population and records them in its audit event. `write` with a `Scope` of a few suppliers
rescores only them against those recorded priors (`registry.scoring.scores.updates`, when an
assessment is published or retracted). The scores keep the aggregates; their inputs and breakdown in words are
derived when read (`explain`). `verify` re-derives every score the other way, period by period
with each assessment's own recency and the method in Python (method.compute), and compares.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import record_event
from registry.db import UTCDateTime, utcnow
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.assessments.public import published_assessments
from registry.scoring.scores import method
from registry.scoring.scores.method import Aggregates
from registry.scoring.scores.models import Score
from registry.scoring.scores.sql import (
    PRIOR_ALL,
    Key,
    Period,
    Priors,
    aggregates_of,
    levels,
    period_pairs,
    score_rows,
)
from registry.search import services as search

RECOMPUTE = "scores.recompute"  # the audit action of a full run, which records its priors


def _period_rows(db: Session, as_of: datetime.date) -> dict[str, list[Any]] | None:
    rows: dict[str, list[Any]] = {"pair": [], "framework": [], "supplier": [], "all": []}
    for row in db.execute(sa.union_all(*levels(period_pairs(as_of)).values())):
        rows[row.kind].append(row)
    return rows if rows["all"] and rows["all"][0].n else None


def _population(rows: dict[str, list[Any]]) -> Priors:
    return Priors(
        all=method.mean_of(aggregates_of(rows["all"][0])),
        frameworks={
            row.framework_id: method.mean_of(aggregates_of(row)) for row in rows["framework"]
        },
    )


def population_priors(db: Session, as_of: datetime.date) -> Priors | None:
    """The means of all published ratings as of a date: per framework and of all suppliers."""
    rows = _period_rows(db, as_of)
    return _population(rows) if rows else None


def compute_period(
    db: Session,
    as_of: datetime.date,
    priors: Priors | None = None,
    priors_from: str | None = None,
) -> dict[Key, method.Result]:
    """Every supplier's scores as of one date, per framework and overall, each assessment
    weighted by its own recency, against `priors` (the population's means when None)."""
    rows = _period_rows(db, as_of)
    if rows is None:
        return {}
    priors = priors or _population(rows)
    results: dict[Key, method.Result] = {}
    components: dict[int, list[float]] = {}
    for row in rows["pair"]:
        prior = priors.of(row.framework_id)
        components.setdefault(row.supplier_id, []).append(prior)
        if row.framework_id is not None:
            results[(row.supplier_id, row.framework_id)] = method.compute(
                aggregates_of(row), prior, as_of, "framework", priors_from=priors_from
            )
    for row in rows["supplier"]:
        prior_mean, prior_weight = method.overall_prior(components[row.supplier_id])
        results[(row.supplier_id, None)] = method.compute(
            aggregates_of(row), prior_mean, as_of, "overall", prior_weight, priors_from
        )
    return results


def _first_period_end(db: Session) -> datetime.date | None:
    """The earliest period end of the assessments that count. The earliest published and
    unretracted one first: a minimum over one table, which both engines read off the status
    index; it counts unless its contract is a draft. With the contract's test in the same
    statement PostgreSQL may plan a pass over every assessment instead, so only then."""
    a = Assessment
    earliest = db.execute(
        sa.select(sa.func.min(a.period_end)).where(
            a.status == AssessmentStatus.published, a.retracted_at.is_(None)
        )
    ).scalar_one()
    if earliest is None:
        return None
    counts = sa.select(a.id).where(*published_assessments(), a.period_end == earliest).limit(1)
    if db.execute(counts).first() is not None:
        return cast(datetime.date, earliest)
    return cast(
        "datetime.date | None",
        db.execute(
            sa.select(sa.func.min(a.period_end)).where(*published_assessments())
        ).scalar_one(),
    )


def scoring_periods(db: Session, as_of: datetime.date) -> list[Period]:
    first = _first_period_end(db)
    if first is None or first > as_of:
        return []
    return method.periods(first.year, as_of)


@dataclasses.dataclass
class RecomputeSummary:
    periods: int
    scores: int
    written: int = 0  # scores that changed (or are new) and were written this time
    superseded: int = 0  # current scores this run replaced or found no longer counted
    affected: int = 0  # suppliers an incremental run rescored in the periods already scored


def current_summary(db: Session, periods: list[Period]) -> RecomputeSummary:
    """The current scores as they stand, for a run that found nothing to do."""
    total = db.execute(
        sa.select(sa.func.count()).select_from(Score).where(Score.current.is_(True))
    ).scalar_one()
    return RecomputeSummary(periods=len(periods), scores=total)


def _fresh_table(columns: list[str]) -> sa.Table:
    """A temporary table for this run's scores, to compare with the current ones (indexed as
    the scores are, so each comparison is a lookup)."""
    table = cast(sa.Table, Score.__table__)
    fresh = sa.Table(
        "fresh_scores",
        sa.MetaData(),
        *(sa.Column(name, table.c[name].type) for name in columns),
        prefixes=["TEMPORARY"],
    )
    sa.Index("ix_fresh_scores_supplier_id_period_end", fresh.c.supplier_id, fresh.c.period_end)
    return fresh


def _same(fresh: sa.Table, columns: list[str]) -> Any:
    """A fresh score and a stored one agree on every number (not on when they were computed, or
    which run's priors they name). Plain equality where a fresh score has no nulls, so
    PostgreSQL can hash-join on it."""
    scores = cast(sa.Table, Score.__table__).c
    return sa.and_(
        *(
            scores[name].is_not_distinct_from(fresh.c[name])
            if name == "framework_id"
            else scores[name] == fresh.c[name]
            for name in columns
            if name != "inputs"
        )
    )


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which scores a write replaces: every current score (a full run, the priors taken from
    the population), or a few suppliers' against the given priors (period_end, framework_id,
    mean) of the run named `priors_from`."""

    priors_from: str
    # Supplier ids, or a SELECT of them (an incremental run's affected suppliers).
    suppliers: list[int] | sa.Select[Any] | None = None
    priors: Any = None


def write(
    db: Session, periods: list[Period], now: datetime.datetime, scope: Scope
) -> tuple[int, int, dict[datetime.date, Priors]]:
    """Store the scores of `scope`. A current score given again stays as it is; the other
    current ones in scope are marked not current (kept, so a score once shown can still be
    traced) and the new ones are written beside them. Returns (written, superseded, and for a
    full run the priors it took from the population)."""
    current = [Score.current.is_(True)]
    if scope.suppliers is not None:
        current.append(Score.supplier_id.in_(scope.suppliers))
    if scope.suppliers is not None or scope.priors is not None:
        # Given priors: a part of a run, these periods only (a full run replaces every period).
        current.append(Score.period_end.in_([end for _, end in periods]))
    if not periods:
        return 0, retire(db, *current), {}
    computed = score_rows(periods, scope.priors, scope.suppliers, scope.priors_from).subquery(
        "computed"
    )
    columns = [column.name for column in computed.c]
    fresh = _fresh_table(columns)
    fresh.create(db.connection())
    db.execute(sa.insert(fresh).from_select(columns, sa.select(computed)))
    priors = _take_priors(db, fresh)
    same = _same(fresh, columns)
    superseded = retire(db, *current, ~sa.select(fresh.c.supplier_id).where(same).exists())
    # What is still current is unchanged: leave it. (Deleting from the temporary table first,
    # rather than testing the scores table while inserting into it, keeps each step one join.)
    db.execute(sa.delete(fresh).where(sa.select(Score.id).where(*current, same).exists()))
    search.changed(
        db,
        "supplier",
        db.execute(
            sa.select(fresh.c.supplier_id).where(fresh.c.supplier_id.is_not(None)).distinct()
        ).scalars(),
    )
    source = sa.select(
        *fresh.c, sa.literal(now, UTCDateTime).label("computed_at"), sa.true().label("current")
    )
    written = db.execute(
        sa.insert(cast(sa.Table, Score.__table__))
        .from_select([*columns, "computed_at", "current"], source)
        .execution_options(preserve_rowcount=True, **NAMED)
    ).rowcount  # type: ignore[attr-defined]
    fresh.drop(db.connection())
    return written, superseded, priors


# Score writes name their suppliers (a score band is in a supplier's search document), so the
# index rewrites those documents after the commit rather than rebuilding every record.
NAMED = {search.NAMED: True}


def retire(db: Session, *where: Any) -> int:
    """Mark the current scores `where` holds not current (kept, for tracing); their suppliers
    are named for the search index. How many were retired."""
    # One statement: the rows it retires name their suppliers (no SELECT first by the same
    # condition, a second pass over the scores).
    suppliers = (
        db.execute(
            sa.update(Score)
            .where(*where)
            .values(current=False)
            .returning(Score.supplier_id)
            .execution_options(synchronize_session=False, **NAMED)
        )
        .scalars()
        .all()
    )
    search.changed(db, "supplier", set(suppliers))
    return len(suppliers)


def _take_priors(db: Session, fresh: sa.Table) -> dict[datetime.date, Priors]:
    """Read a full run's priors out of its fresh scores (a few rows per period) and remove them."""
    marked = fresh.c.supplier_id.is_(None)
    rows = db.execute(
        sa.select(fresh.c.period, fresh.c.period_end, fresh.c.framework_id, fresh.c.prior_mean)
        .where(marked)
        .order_by(fresh.c.period_end, fresh.c.framework_id)
    ).all()
    if not rows:
        return {}
    db.execute(sa.delete(fresh).where(marked))
    return priors_of(rows)


def priors_of(rows: Iterable[Any]) -> dict[datetime.date, Priors]:
    """Each period's priors from its prior rows (period, period_end, framework_id, prior_mean)."""
    means: dict[datetime.date, dict[int | None, float]] = {}
    everyone: dict[datetime.date, float] = {}
    for row in rows:
        if row.period == PRIOR_ALL:
            everyone[row.period_end] = float(row.prior_mean)
        else:
            means.setdefault(row.period_end, {})[row.framework_id] = float(row.prior_mean)
    return {end: Priors(all=everyone[end], frameworks=means.get(end, {})) for end in everyone}


def stored_extras(score: Any) -> dict[str, Any]:
    """What a score written by method 2.0 keeps beside its aggregates (how many components its
    prior stands for, the run its priors came from): the `inputs` column of a Score or a row."""
    stored = score.stored_inputs if isinstance(score, Score) else getattr(score, "inputs", None)
    return stored if isinstance(stored, dict) else {}


def explain(score: Any) -> method.Result:
    """The inputs and the breakdown in words of a stored score (a Score, or a row with its
    columns), re-derived by the method from the aggregates the score was computed from."""
    ratings = {
        rating.value: int(getattr(score, f"{rating.name}_count") or 0) for rating in method.POINTS
    }
    aggregates = Aggregates(
        count=score.assessments_count,
        weight=score.weight,
        weighted_points=score.weighted_points,
        weighted_points_sq=score.weighted_points_sq,
        ratings=ratings,
    )
    scope = "overall" if score.framework_id is None else "framework"
    extras = stored_extras(score)
    prior_weight = method.PRIOR_WEIGHT * int(extras.get("prior_components", 1))
    return method.compute(
        aggregates,
        score.prior_mean,
        score.period_end,
        scope,
        prior_weight,
        extras.get("priors_from"),
    )


def priors_json(priors: dict[datetime.date, Priors]) -> dict[str, Any]:
    """A run's priors as its audit event keeps them: per period, all suppliers' mean, each
    framework's (by id) and that of ratings on no framework."""
    return {
        end.isoformat(): {
            "all": p.all,
            "frameworks": {str(k): v for k, v in p.frameworks.items() if k is not None},
            **({"outside": p.frameworks[None]} if None in p.frameworks else {}),
        }
        for end, p in sorted(priors.items())
    }


@dataclasses.dataclass(frozen=True)
class Run:
    """The latest full run that recorded its priors: when, as of when, and the priors."""

    computed_at: str
    as_of: datetime.date
    priors: dict[datetime.date, Priors]
    at: datetime.datetime  # when its audit event was recorded

    def periods(self) -> list[Period]:
        return [(str(end.year), end) for end in sorted(self.priors)]


def last_run(db: Session) -> Run | None:
    event = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == RECOMPUTE).order_by(AuditEvent.seq.desc())
    ).first()
    after = event.after if event is not None else None
    if event is None or not after or "priors" not in after:
        return None  # never scored, or scored by method 1.0 (no priors recorded)
    priors = {
        datetime.date.fromisoformat(end): Priors(
            all=float(p["all"]),
            frameworks={
                **{int(k): float(v) for k, v in p["frameworks"].items()},
                **({None: float(p["outside"])} if "outside" in p else {}),
            },
        )
        for end, p in after["priors"].items()
    }
    return Run(
        computed_at=after["computed_at"],
        as_of=datetime.date.fromisoformat(after["as_of"]),
        priors=priors,
        at=event.created,
    )


def recompute(db: Session, as_of: datetime.date, actor: Any = None) -> RecomputeSummary:
    """Bring the current scores up to date as of a date: scores that changed are replaced (the
    old rows stay, not current), unchanged ones are left as they are. The priors are taken from
    the population afresh and recorded in the run's audit event, for the updates that follow."""
    periods = scoring_periods(db, as_of)
    now = utcnow()
    computed_at = now.isoformat()
    written, superseded, priors = write(db, periods, now, Scope(priors_from=computed_at))
    return record_run(db, as_of, periods, computed_at, written, superseded, priors, actor)


def record_run(
    db: Session,
    as_of: datetime.date,
    periods: list[Period],
    computed_at: str,
    written: int,
    superseded: int,
    priors: dict[datetime.date, Priors],
    actor: Any = None,
) -> RecomputeSummary:
    """Count the current scores and record the run (full, or incremental: same event, same
    priors for every period) in the audit trail, for the updates that follow."""
    total = db.execute(
        sa.select(sa.func.count()).select_from(Score).where(Score.current.is_(True))
    ).scalar_one()
    # One event per run: scores are derived, and the event names what they were derived from,
    # the priors it took, and how many rows it wrote and retired (the rows carry computed_at).
    record_event(
        db,
        action=RECOMPUTE,
        subject_type="scores",
        subject_id=as_of.isoformat(),
        actor=actor,
        actor_label=None if actor else "cli",
        after={
            "as_of": as_of,
            "periods": len(periods),
            "scores": total,
            "written": written,
            "superseded": superseded,
            "method_version": method.METHOD_VERSION,
            "computed_at": computed_at,
            "priors": priors_json(priors),
        },
    )
    return RecomputeSummary(
        periods=len(periods), scores=total, written=written, superseded=superseded
    )


def _differs(stored: Decimal | float, expected: float) -> bool:
    return abs(float(stored) - expected) > 0.005


def changed_since(db: Session, moment: datetime.datetime) -> bool:
    """Whether any assessment was published or retracted after `moment`."""
    return (
        db.execute(
            sa.select(Assessment.id)
            .where(sa.or_(Assessment.published_at > moment, Assessment.retracted_at > moment))
            .limit(1)
        ).first()
        is not None
    )


def verify(db: Session) -> list[str]:
    """Re-derive every current score from the assessments, against the priors of the last full
    run (each score's own ratings now, the priors as that run took them); describe each
    mismatch. Where nothing was published or retracted since that run, its priors must also
    equal the population's means now."""
    problems: list[str] = []
    run = last_run(db)
    if run is not None and not changed_since(db, run.at):
        problems.extend(_check_priors(db, run))
    ends = db.execute(
        sa.select(Score.period_end)
        .where(Score.current.is_(True))
        .distinct()
        .order_by(Score.period_end)
    ).scalars()
    for end in list(ends):
        priors = run.priors.get(end) if run is not None else None
        expected = compute_period(db, end, priors, run.computed_at if run else None)
        # Plain rows, not ORM objects: a national run compares hundreds of thousands.
        stored = db.execute(
            sa.select(*cast(sa.Table, Score.__table__).c).where(
                Score.current.is_(True), Score.period_end == end
            )
        )
        seen: set[Key] = set()
        for score in stored:
            key = (score.supplier_id, score.framework_id)
            seen.add(key)
            problems.extend(_compare(score, expected.get(key)))
        for key in sorted(set(expected) - seen, key=str):
            problems.append(
                f"supplier {key[0]}, {_scope(key[1])}, as of {end}: no score stored, "
                f"expected {expected[key].score:.2f}"
            )
    return problems


def _check_priors(db: Session, run: Run) -> Iterable[str]:
    for end, recorded in sorted(run.priors.items()):
        population = population_priors(db, end)
        if population is None:
            yield f"as of {end}: the last run recorded priors, but no assessment counts now"
            continue
        for key in sorted({*recorded.frameworks, *population.frameworks}, key=str):
            got, want = recorded.frameworks.get(key), population.frameworks.get(key)
            if got is None or want is None or _differs(got, want):
                yield f"as of {end}: prior of {_scope(key)} recorded {got}, re-derived {want}"
        if _differs(recorded.all, population.all):
            yield f"as of {end}: mean of all suppliers recorded {recorded.all}, re-derived {population.all}"


def _scope(framework_id: int | None) -> str:
    return "ratings on no framework" if framework_id is None else f"framework {framework_id}"


def _compare(score: Any, result: method.Result | None) -> Iterable[str]:
    scope = "overall" if score.framework_id is None else f"framework {score.framework_id}"
    where = f"score {score.id} (supplier {score.supplier_id}, {scope}, as of {score.period_end})"
    if result is None:
        yield f"{where}: stored {score.score}, but no assessment counts toward it now"
        return
    if score.method_version != method.METHOD_VERSION:
        yield f"{where}: method {score.method_version}, current method is {method.METHOD_VERSION}"
    if _differs(score.score, result.score):
        yield f"{where}: stored {score.score}, re-derived {result.score:.2f}"
    if _differs(score.band_low, result.band_low) or _differs(score.band_high, result.band_high):
        yield (
            f"{where}: band stored {score.band_low} to {score.band_high}, "
            f"re-derived {result.band_low:.2f} to {result.band_high:.2f}"
        )
    if score.prior_mean is not None and _differs(score.prior_mean, result.prior_mean):
        yield f"{where}: prior stored {score.prior_mean:.2f}, re-derived {result.prior_mean:.2f}"
    if score.assessments_count != result.count:
        yield f"{where}: count stored {score.assessments_count}, re-derived {result.count}"
