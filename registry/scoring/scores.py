"""Recompute and verify scores, set-based: one INSERT ... SELECT per period.

No query runs per supplier and no score passes through Python: each period costs one GROUP BY
scan of the assessments that count (per supplier and framework), rolled up in the same statement
per framework, per supplier and overall, and the method's formula applied in SQL. The scores
keep the aggregates; their inputs and breakdown in words are derived when read (`explain`).
`verify` re-derives every score the other way, in Python (method.compute), and compares.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.db import Greatest, Least, RoundHalfEven, UTCDateTime, utcnow
from registry.scoring import method
from registry.scoring.method import Aggregates
from registry.scoring.models import Assessment, AssessmentStatus, Rating, Score

Key = tuple[int, int | None]  # (supplier id, framework id or None for overall)


def _counted(as_of: datetime.date) -> list[Any]:
    day = as_of.toordinal()
    return [
        Assessment.status == AssessmentStatus.published,
        Assessment.retracted_at.is_(None),
        Assessment.rating != Rating.other,
        Assessment.period_end_day <= day,
        Assessment.period_end_day > day - method.WINDOW_DAYS,
    ]


def _by_rating(as_of: datetime.date) -> Any:
    """The one scan of the assessments: count and Σ weight times recency per supplier, framework and
    rating. Points are constant within a rating, so the rest is arithmetic on these few rows."""
    day = as_of.toordinal()
    recency = sa.literal(1.0) - (sa.literal(day) - Assessment.period_end_day) / sa.literal(
        float(method.WINDOW_DAYS)
    )
    return (
        sa.select(
            Assessment.supplier_id,
            Assessment.framework_id,
            Assessment.rating,
            sa.func.count().label("n"),
            sa.func.sum(sa.cast(Assessment.weight, sa.Float) * recency).label("w"),
        )
        .where(*_counted(as_of))
        .group_by(Assessment.supplier_id, Assessment.framework_id, Assessment.rating)
        .cte("by_rating")
    )


def _pair_sums(base: Any) -> list[Any]:
    def points(squared: bool) -> Any:
        return sa.case(
            *(
                (base.c.rating == rating, sa.literal(float(p * p if squared else p)))
                for rating, p in method.POINTS.items()
            ),
            else_=sa.literal(0.0),
        )

    columns = [
        sa.func.sum(base.c.n).label("n"),
        sa.func.sum(base.c.w).label("w"),
        sa.func.sum(base.c.w * points(False)).label("wp"),
        sa.func.sum(base.c.w * points(True)).label("wpp"),
    ]
    for rating in method.POINTS:
        columns.append(
            sa.func.sum(sa.case((base.c.rating == rating, base.c.n), else_=0)).label(rating.name)
        )
    return columns


def _aggregates(row: Any) -> Aggregates:
    return Aggregates(
        count=int(row.n),
        weight=float(row.w or 0),
        weighted_points=float(row.wp or 0),
        weighted_points_sq=float(row.wpp or 0),
        ratings={rating.value: int(getattr(row, rating.name) or 0) for rating in method.POINTS},
    )


def _rollups(as_of: datetime.date) -> Any:
    """One scan of the assessments per period, grouped by supplier, framework and rating; sums
    per (supplier, framework) from those, then per framework, per supplier and overall (sums
    are additive), all in one statement."""
    base = _by_rating(as_of)
    pairs = (
        sa.select(base.c.supplier_id, base.c.framework_id, *_pair_sums(base))
        .group_by(base.c.supplier_id, base.c.framework_id)
        .cte("pairs")
    )
    names = ["n", "w", "wp", "wpp", *(rating.name for rating in method.POINTS)]
    none = sa.cast(sa.null(), sa.Integer)

    def level(kind: str, supplier: Any, framework: Any, *group_by: Any) -> Any:
        query = sa.select(
            sa.literal(kind).label("kind"),
            supplier.label("supplier_id"),
            framework.label("framework_id"),
            *(sa.func.sum(pairs.c[name]).label(name) for name in names),
        )
        return query.group_by(*group_by) if group_by else query

    return sa.union_all(
        sa.select(
            sa.literal("pair").label("kind"),
            pairs.c.supplier_id,
            pairs.c.framework_id,
            *(pairs.c[name] for name in names),
        ).where(pairs.c.framework_id.is_not(None)),
        level("framework", none, pairs.c.framework_id, pairs.c.framework_id),
        level("supplier", pairs.c.supplier_id, none, pairs.c.supplier_id),
        level("all", none, none),
    )


def compute_period(db: Session, as_of: datetime.date) -> dict[Key, method.Result]:
    """Every supplier's scores as of one date: per framework and overall."""
    rows: dict[str, list[Any]] = {"pair": [], "framework": [], "supplier": [], "all": []}
    for row in db.execute(_rollups(as_of)):
        rows[row.kind].append(row)
    if not rows["all"] or not rows["all"][0].n:
        return {}
    overall_mean = method.mean_of(_aggregates(rows["all"][0]))
    framework_means = {
        row.framework_id: method.mean_of(_aggregates(row)) for row in rows["framework"]
    }
    results: dict[Key, method.Result] = {}
    for row in rows["pair"]:
        results[(row.supplier_id, row.framework_id)] = method.compute(
            _aggregates(row), framework_means[row.framework_id], as_of, "framework"
        )
    for row in rows["supplier"]:
        results[(row.supplier_id, None)] = method.compute(
            _aggregates(row), overall_mean, as_of, "overall"
        )
    return results


def scoring_periods(db: Session, as_of: datetime.date) -> list[tuple[str, datetime.date]]:
    first = db.execute(
        sa.select(sa.func.min(Assessment.period_end)).where(
            Assessment.status == AssessmentStatus.published, Assessment.retracted_at.is_(None)
        )
    ).scalar_one()
    if first is None or first > as_of:
        return []
    return method.periods(first.year, as_of)


@dataclasses.dataclass
class RecomputeSummary:
    periods: int
    scores: int


def _mean(level: Any) -> Any:
    """method.mean_of in SQL."""
    return sa.case((level.c.w > 0, level.c.wp / level.c.w), else_=sa.literal(0.0))


def _scored(as_of: datetime.date) -> Any:
    """Every (supplier, framework) and (supplier, overall) aggregate of one period beside the
    mean it is shrunk toward: the rows compute_period gives method.compute, as SQL. The means
    come from the same rollup rows by window functions, not joins, so no plan rescans them."""
    levels = _rollups(as_of).subquery("levels")
    mean = _mean(levels)
    framework_mean = sa.func.max(sa.case((levels.c.kind == "framework", mean))).over(
        partition_by=levels.c.framework_id
    )
    overall_mean = sa.func.max(sa.case((levels.c.kind == "all", mean))).over()
    with_prior = sa.select(
        levels,
        sa.case((levels.c.kind == "pair", framework_mean), else_=overall_mean).label("prior"),
    ).subquery("with_prior")
    return (
        sa.select(with_prior).where(with_prior.c.kind.in_(["pair", "supplier"])).subquery("scored")
    )


def _score_rows(as_of: datetime.date) -> Any:
    """method.compute in SQL, the same float operations in the same order (IEEE arithmetic,
    sqrt and pow give the same doubles on both engines and in Python), rounded as Python rounds."""
    scored = _scored(as_of)
    w, wp, wpp, prior = scored.c.w, scored.c.wp, scored.c.wpp, scored.c.prior
    prior_weight = sa.literal(method.PRIOR_WEIGHT)
    raw_mean = _mean(scored)
    variance = sa.case(
        (w > 0, wpp / w - sa.func.power(raw_mean, sa.literal(2.0))), else_=sa.literal(0.0)
    )
    spread = (
        sa.select(
            scored,
            ((wp + prior_weight * prior) / (w + prior_weight)).label("exact"),
            (
                sa.literal(method.Z_95)
                * sa.func.sqrt(
                    Greatest(variance, sa.literal(method.MIN_SD**2)) / (w + prior_weight)
                )
            ).label("margin"),
        )
    ).subquery("spread")
    c = spread.c
    return sa.select(
        c.supplier_id,
        c.framework_id,
        RoundHalfEven(c.exact, 2).label("score"),
        RoundHalfEven(Greatest(sa.literal(0.0), c.exact - c.margin), 2).label("band_low"),
        RoundHalfEven(Least(sa.literal(100.0), c.exact + c.margin), 2).label("band_high"),
        c.n.label("assessments_count"),
        c.w.label("weight"),
        c.wp.label("weighted_points"),
        c.wpp.label("weighted_points_sq"),
        c.prior.label("prior_mean"),
        *(c[rating.name].label(f"{rating.name}_count") for rating in method.POINTS),
    )


def _insert_period(db: Session, period: str, as_of: datetime.date, now: datetime.datetime) -> None:
    """One INSERT ... SELECT writes every score of the period: no row passes through Python."""
    computed = _score_rows(as_of).subquery("computed")
    constants: dict[str, Any] = {
        "period": sa.literal(period, sa.String),
        "period_end": sa.literal(as_of, sa.Date),
        "method_version": sa.literal(method.METHOD_VERSION, sa.String),
        "computed_at": sa.literal(now, UTCDateTime),
        "current": sa.true(),
    }
    source = sa.select(*computed.c, *(value.label(name) for name, value in constants.items()))
    columns = [*(column.name for column in computed.c), *constants]
    db.execute(sa.insert(cast(sa.Table, Score.__table__)).from_select(columns, source))


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
    return method.compute(aggregates, score.prior_mean, score.period_end, scope)


def recompute(db: Session, as_of: datetime.date, actor: Any = None) -> RecomputeSummary:
    """Replace the current scores with ones computed now. The old rows stay, not current."""
    db.execute(sa.update(Score).where(Score.current.is_(True)).values(current=False))
    now = utcnow()
    periods = scoring_periods(db, as_of)
    for period, end in periods:
        _insert_period(db, period, end, now)
    # pysqlite reports no rowcount for INSERT ... SELECT: count what is current now.
    total = db.execute(
        sa.select(sa.func.count()).select_from(Score).where(Score.current.is_(True))
    ).scalar_one()
    # One event per run: scores are derived, and the event names what they were derived from.
    record_event(
        db,
        action="scores.recompute",
        subject_type="scores",
        subject_id=as_of.isoformat(),
        actor=actor,
        actor_label=None if actor else "cli",
        after={
            "as_of": as_of,
            "periods": len(periods),
            "scores": total,
            "method_version": method.METHOD_VERSION,
        },
    )
    return RecomputeSummary(periods=len(periods), scores=total)


def _differs(stored: Decimal, expected: float) -> bool:
    return abs(float(stored) - expected) > 0.005


def verify(db: Session) -> list[str]:
    """Re-derive every current score from the assessments; describe each mismatch."""
    problems: list[str] = []
    ends = db.execute(
        sa.select(Score.period_end)
        .where(Score.current.is_(True))
        .distinct()
        .order_by(Score.period_end)
    ).scalars()
    for end in list(ends):
        expected = compute_period(db, end)
        stored = db.execute(
            sa.select(Score).where(Score.current.is_(True), Score.period_end == end)
        ).scalars()
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


def _scope(framework_id: int | None) -> str:
    return "overall" if framework_id is None else f"framework {framework_id}"


def _compare(score: Score, result: method.Result | None) -> Iterable[str]:
    where = f"score {score.id} (supplier {score.supplier_id}, {_scope(score.framework_id)}, as of {score.period_end})"
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
    if score.assessments_count != result.count:
        yield f"{where}: count stored {score.assessments_count}, re-derived {result.count}"
