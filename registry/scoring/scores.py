"""Recompute and verify scores, set-based: SQL aggregates per period, one bulk insert.

No query runs per supplier: each period costs one GROUP BY scan of the assessments that count
(per supplier and framework), rolled up in the same statement per framework, per supplier and
overall. Python only applies the method's formula to the aggregate rows.
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
from registry.db import utcnow
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


def _rows(
    period: str, as_of: datetime.date, results: dict[Key, method.Result]
) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "supplier_id": supplier_id,
            "framework_id": framework_id,
            "period": period,
            "period_end": as_of,
            "method_version": method.METHOD_VERSION,
            "score": Decimal(str(result.score)),
            "band_low": Decimal(str(result.band_low)),
            "band_high": Decimal(str(result.band_high)),
            "assessments_count": result.count,
            "inputs": result.inputs,
            "breakdown": result.breakdown,
            "computed_at": now,
            "current": True,
        }
        for (supplier_id, framework_id), result in results.items()
    ]


def recompute(db: Session, as_of: datetime.date, actor: Any = None) -> RecomputeSummary:
    """Replace the current scores with ones computed now. The old rows stay, not current."""
    db.execute(sa.update(Score).where(Score.current.is_(True)).values(current=False))
    total = 0
    periods = scoring_periods(db, as_of)
    for period, end in periods:
        rows = _rows(period, end, compute_period(db, end))
        if rows:
            db.execute(
                sa.insert(cast(sa.Table, Score.__table__)), rows
            )  # Core executemany: no ORM bookkeeping
        total += len(rows)
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
