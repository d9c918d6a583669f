"""Recompute and verify scores, set-based: one scan of the assessments for every period at once.

No query runs per supplier or per period and no score passes through Python. `recompute` reads
the assessments that count once, grouped by supplier, framework and interval of days (within an
interval every assessment counts in the same periods), keeping n, Σw and Σw·days per rating so
that each period's recency-weighted sums are arithmetic on those few rows. It then rolls the sums
up per framework, per supplier and overall, applies the method's formula in SQL, and writes only
the scores that changed. The scores keep the aggregates; their inputs and breakdown in words are
derived when read (`explain`). `verify` re-derives every score the other way, period by period
with each assessment's own recency and the method in Python (method.compute), and compares.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.db import Greatest, Least, RoundHalfEven, Unindexed, UTCDateTime, utcnow
from registry.scoring import method
from registry.scoring.method import Aggregates
from registry.scoring.models import Assessment, Rating, Score
from registry.scoring.public import published_assessments

Key = tuple[int, int | None]  # (supplier id, framework id or None for overall)
Period = tuple[str, datetime.date]  # (label, the date it is scored as of)
RATING_COUNTS = [rating.name for rating in method.POINTS]
SUMS = ["n", "w", "wp", "wpp", *RATING_COUNTS]


def _counted(unindexed: bool = False) -> list[Any]:
    status = Unindexed(Assessment.status) if unindexed else Assessment.status
    return [*published_assessments(status), Assessment.rating != Rating.other]


def _points(rating: Any, squared: bool = False) -> Any:
    return sa.case(
        *(
            (rating == value, sa.literal(float(p * p if squared else p)))
            for value, p in method.POINTS.items()
        ),
        else_=sa.literal(0.0),
    )


def _rating_counts(rating: Any, n: Any) -> list[Any]:
    return [
        sa.func.sum(sa.case((rating == value, n), else_=0)).label(value.name)
        for value in method.POINTS
    ]


def _period_pairs(as_of: datetime.date) -> Any:
    """The sums of one period per (supplier, framework), each assessment weighted by its own
    recency: the direct reading of the method, which `verify` re-derives scores from."""
    day = as_of.toordinal()
    recency = sa.literal(1.0) - (sa.literal(day) - Assessment.period_end_day) / sa.literal(
        float(method.WINDOW_DAYS)
    )
    base = (
        sa.select(
            Assessment.supplier_id,
            Assessment.framework_id,
            Assessment.rating,
            sa.func.count().label("n"),
            sa.func.sum(sa.cast(Assessment.weight, sa.Float) * recency).label("w"),
        )
        .where(
            *_counted(),
            Assessment.period_end_day <= day,
            Assessment.period_end_day > day - method.WINDOW_DAYS,
        )
        .group_by(Assessment.supplier_id, Assessment.framework_id, Assessment.rating)
        .cte("by_rating")
    )
    return (
        sa.select(
            sa.literal(as_of, sa.Date).label("period_end"),
            base.c.supplier_id,
            base.c.framework_id,
            sa.func.sum(base.c.n).label("n"),
            sa.func.sum(base.c.w).label("w"),
            sa.func.sum(base.c.w * _points(base.c.rating)).label("wp"),
            sa.func.sum(base.c.w * _points(base.c.rating, squared=True)).label("wpp"),
            *_rating_counts(base.c.rating, base.c.n),
        )
        .group_by(base.c.supplier_id, base.c.framework_id)
        .cte("pairs")
    )


def _intervals(ends: list[datetime.date]) -> tuple[list[int], list[tuple[int, int]]]:
    """Day numbers splitting time into intervals inside which every assessment counts in the
    same periods (descending: interval k runs from after bounds[k + 1] to bounds[k]), and the
    (interval, period) pairs that count."""
    days = [end.toordinal() for end in ends]
    bounds = sorted({*days, *(day - method.WINDOW_DAYS for day in days)}, reverse=True)
    counts = [
        (k, i)
        for k in range(len(bounds) - 1)
        for i, day in enumerate(days)
        if day - method.WINDOW_DAYS <= bounds[k + 1] and bounds[k] <= day
    ]
    return bounds, counts


def _all_periods_pairs(periods: list[Period]) -> Any:
    """The sums of every period per (supplier, framework) from one scan of the assessments.

    Recency is linear in the day an assessment's period ends: with d its day number less the
    last as-of date's, and c = window + last as-of day - the period's as-of day, Σ weight *
    recency = (c * Σ weight + Σ weight * d) / window. So the scan keeps, per supplier, framework
    and interval, each rating's count, Σ weight and Σ weight * d side by side (a few rows per
    pair), and each period adds up its intervals with numbers only.
    """
    ends = [end for _, end in periods]
    last = max(ends).toordinal()
    bounds, counts = _intervals(ends)
    a = Assessment
    weight = sa.cast(a.weight, sa.Float)
    day = a.period_end_day
    interval = sa.case(*((day > bound, k) for k, bound in enumerate(bounds[1:])))

    def by_rating(value: Rating, column: Any) -> Any:
        return sa.func.sum(sa.case((a.rating == value, column), else_=0))

    def count(value: Rating) -> Any:
        # Integer counts: PostgreSQL sums bigints as numeric, which is slower.
        return sa.cast(by_rating(value, 1), sa.Integer)

    # Each rating's count, Σ weight and Σ weight * d side by side: one grouping of the scan
    # (a row per rating first would be about as many rows as assessments, grouped twice).
    by_interval = (
        sa.select(
            a.supplier_id,
            a.framework_id,
            interval.label("interval"),
            *(
                column.label(f"{name}_{value.name}")
                for value in method.POINTS
                for name, column in (
                    ("n", count(value)),
                    ("sw", by_rating(value, weight)),
                    ("swd", by_rating(value, weight * (day - last))),
                )
            ),
        )
        # Most assessments count: one pass over the table, not a walk of the status index.
        .where(*_counted(unindexed=True), day <= bounds[0], day > bounds[-1])
        .group_by(a.supplier_id, a.framework_id, interval)
        .cte("by_interval")
    )
    window = float(method.WINDOW_DAYS)
    membership = sa.union_all(
        *(
            sa.select(
                sa.literal(k).label("interval"),
                sa.literal(periods[i][1], sa.Date).label("period_end"),
                sa.literal(window + last - periods[i][1].toordinal(), sa.Float).label("shift"),
            )
            for k, i in counts
        )
    ).cte("membership")
    m, c = membership.c, by_interval.c
    # Σ weight * recency of each rating's assessments in the interval, for the period's as-of day
    w = {
        value: (m.shift * c[f"sw_{value.name}"] + c[f"swd_{value.name}"]) / sa.literal(window)
        for value in method.POINTS
    }

    def total(terms: Iterable[Any]) -> Any:
        return sa.func.sum(functools.reduce(operator.add, terms))

    return (
        sa.select(
            m.period_end,
            c.supplier_id,
            c.framework_id,
            total(c[f"n_{value.name}"] for value in method.POINTS).label("n"),
            total(w.values()).label("w"),
            total(w[value] * sa.literal(float(p)) for value, p in method.POINTS.items()).label(
                "wp"
            ),
            total(w[value] * sa.literal(float(p * p)) for value, p in method.POINTS.items()).label(
                "wpp"
            ),
            *(sa.func.sum(c[f"n_{value.name}"]).label(value.name) for value in method.POINTS),
        )
        .join(membership, m.interval == c.interval)
        .group_by(m.period_end, c.supplier_id, c.framework_id)
        .cte("pairs")
    )


def _aggregates(row: Any) -> Aggregates:
    return Aggregates(
        count=int(row.n),
        weight=float(row.w or 0),
        weighted_points=float(row.wp or 0),
        weighted_points_sq=float(row.wpp or 0),
        ratings={rating.value: int(getattr(row, rating.name) or 0) for rating in method.POINTS},
    )


def _levels(pairs: Any) -> dict[str, Any]:
    """From the sums per (period, supplier, framework): the same sums per framework, per
    supplier and overall (sums are additive), one select per kind of row."""
    none = sa.cast(sa.null(), sa.Integer)
    p = pairs.c

    def level(kind: str, supplier: Any, framework: Any, *group_by: Any) -> Any:
        return sa.select(
            sa.literal(kind).label("kind"),
            p.period_end,
            supplier.label("supplier_id"),
            framework.label("framework_id"),
            *(sa.func.sum(p[name]).label(name) for name in SUMS),
        ).group_by(p.period_end, *group_by)

    return {
        "pair": sa.select(
            sa.literal("pair").label("kind"),
            p.period_end,
            p.supplier_id,
            p.framework_id,
            *(p[name] for name in SUMS),
        ).where(p.framework_id.is_not(None)),
        "framework": level("framework", none, p.framework_id, p.framework_id),
        "supplier": level("supplier", p.supplier_id, none, p.supplier_id),
        "all": level("all", none, none),
    }


def compute_period(db: Session, as_of: datetime.date) -> dict[Key, method.Result]:
    """Every supplier's scores as of one date: per framework and overall."""
    rows: dict[str, list[Any]] = {"pair": [], "framework": [], "supplier": [], "all": []}
    for row in db.execute(sa.union_all(*_levels(_period_pairs(as_of)).values())):
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


def scoring_periods(db: Session, as_of: datetime.date) -> list[Period]:
    first = db.execute(
        sa.select(sa.func.min(Assessment.period_end)).where(*published_assessments())
    ).scalar_one()
    if first is None or first > as_of:
        return []
    return method.periods(first.year, as_of)


@dataclasses.dataclass
class RecomputeSummary:
    periods: int
    scores: int
    written: int = 0  # scores that changed (or are new) and were written this time
    superseded: int = 0  # current scores this run replaced or found no longer counted


def _mean(level: Any) -> Any:
    """method.mean_of in SQL."""
    return sa.case((level.c.w > 0, level.c.wp / level.c.w), else_=sa.literal(0.0))


def _scored(pairs: Any) -> Any:
    """Every (supplier, framework) and (supplier, overall) aggregate of each period beside the
    mean it is shrunk toward: the rows compute_period gives method.compute, as SQL. The means
    (a few rows per period) are joined to the pairs and suppliers by period and framework."""
    levels = {kind: select.subquery(kind) for kind, select in _levels(pairs).items()}

    def means(kind: str, *keys: str) -> Any:
        level = levels[kind]
        return sa.select(*(level.c[key] for key in keys), _mean(level).label("mean")).cte(
            f"{kind}_means"
        )

    framework_means = means("framework", "period_end", "framework_id")
    overall_means = means("all", "period_end")
    pair, supplier = levels["pair"], levels["supplier"]
    return sa.union_all(
        sa.select(pair, framework_means.c.mean.label("prior")).join(
            framework_means,
            sa.and_(
                framework_means.c.period_end == pair.c.period_end,
                framework_means.c.framework_id == pair.c.framework_id,
            ),
        ),
        sa.select(supplier, overall_means.c.mean.label("prior")).join(
            overall_means, overall_means.c.period_end == supplier.c.period_end
        ),
    ).subquery("scored")


def _score_rows(periods: list[Period]) -> Any:
    """method.compute in SQL, the same float operations in the same order (IEEE arithmetic,
    sqrt and pow give the same doubles on both engines and in Python), rounded as Python rounds."""
    scored = _scored(_all_periods_pairs(periods))
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
    label = sa.case(*((c.period_end == end, name) for name, end in periods))
    return sa.select(
        c.supplier_id,
        c.framework_id,
        label.label("period"),
        c.period_end,
        sa.literal(method.METHOD_VERSION, sa.String).label("method_version"),
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
    """A fresh score and a stored one agree on everything but when they were computed. Plain
    equality where a fresh score has no nulls, so PostgreSQL can hash-join on it."""
    scores = cast(sa.Table, Score.__table__).c
    return sa.and_(
        *(
            scores[name].is_not_distinct_from(fresh.c[name])
            if name == "framework_id"
            else scores[name] == fresh.c[name]
            for name in columns
        )
    )


def _write(db: Session, periods: list[Period], now: datetime.datetime) -> tuple[int, int]:
    """Store this run's scores. A current score this run gives again stays as it is; the other
    current ones are marked not current (kept, so a score once shown can still be traced) and
    the new ones are written beside them. Returns (written, superseded)."""
    current = Score.current.is_(True)
    if not periods:
        retired = db.execute(sa.update(Score).where(current).values(current=False))
        return 0, retired.rowcount  # type: ignore[attr-defined]
    computed = _score_rows(periods).subquery("computed")
    columns = [column.name for column in computed.c]
    fresh = _fresh_table(columns)
    fresh.create(db.connection())
    db.execute(sa.insert(fresh).from_select(columns, sa.select(computed)))
    same = _same(fresh, columns)
    superseded = db.execute(
        sa.update(Score)
        .where(current, ~sa.select(fresh.c.supplier_id).where(same).exists())
        .values(current=False)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    # What is still current is unchanged: leave it. (Deleting from the temporary table first,
    # rather than testing the scores table while inserting into it, keeps each step one join.)
    db.execute(sa.delete(fresh).where(sa.select(Score.id).where(current, same).exists()))
    source = sa.select(
        *fresh.c, sa.literal(now, UTCDateTime).label("computed_at"), sa.true().label("current")
    )
    written = db.execute(
        sa.insert(cast(sa.Table, Score.__table__))
        .from_select([*columns, "computed_at", "current"], source)
        .execution_options(preserve_rowcount=True)
    ).rowcount  # type: ignore[attr-defined]
    fresh.drop(db.connection())
    return written, superseded


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
    """Bring the current scores up to date as of a date: scores that changed are replaced (the
    old rows stay, not current), unchanged ones are left as they are."""
    periods = scoring_periods(db, as_of)
    written, superseded = _write(db, periods, utcnow())
    total = db.execute(
        sa.select(sa.func.count()).select_from(Score).where(Score.current.is_(True))
    ).scalar_one()
    # One event per run: scores are derived, and the event names what they were derived from
    # and how many rows it wrote and retired (the rows themselves carry computed_at).
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
            "written": written,
            "superseded": superseded,
            "method_version": method.METHOD_VERSION,
        },
    )
    return RecomputeSummary(
        periods=len(periods), scores=total, written=written, superseded=superseded
    )


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


def _scope(framework_id: int | None) -> str:
    return "overall" if framework_id is None else f"framework {framework_id}"


def _compare(score: Any, result: method.Result | None) -> Iterable[str]:
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
