"""The SQL of the scores, set-based: one scan of the assessments for every period at once.

No query runs per supplier or per period and no score passes through Python. The assessments
that count are read once, grouped by supplier, framework and interval of days (within an
interval every assessment counts in the same periods), keeping n, Σw and Σw·days per rating so
that each period's recency-weighted sums are arithmetic on those few rows. They are rolled up
per framework, per supplier and overall, and the method's formula is applied in SQL
(`score_rows`); `registry.scoring.scores.services` writes what changed.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa

from registry.db import AsJson, Greatest, Least, RoundHalfEven, Unindexed
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.assessments.public import published_assessments
from registry.scoring.scores import method
from registry.scoring.scores.method import Aggregates
from registry.scoring.scores.models import Score

Key = tuple[int, int | None]  # (supplier id, framework id or None for overall)
Period = tuple[str, datetime.date]  # (label, the date it is scored as of)
RATING_COUNTS = [rating.name for rating in method.POINTS]
SUMS = ["n", "w", "wp", "wpp", *RATING_COUNTS]
# The `period` of the rows a full run writes beside its scores for its priors (never stored).
PRIOR, PRIOR_ALL = "prior", "prior:all"
NO_FRAMEWORK = -1  # stands for "no framework" where a join needs a non-null key
Suppliers = list[int] | sa.Select[Any] | None  # ids, a SELECT of them, or None for everyone


def counted(unindexed: bool = False) -> list[Any]:
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


def period_pairs(as_of: datetime.date) -> Any:
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
            *counted(),
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


def all_periods_pairs(periods: list[Period], suppliers: Suppliers = None) -> Any:
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
        # Most assessments count: one pass over the table, not a walk of the status index
        # (for a few suppliers, their rows by the supplier index).
        .where(
            *counted(unindexed=suppliers is None),
            day <= bounds[0],
            day > bounds[-1],
            *([] if suppliers is None else [a.supplier_id.in_(suppliers)]),
        )
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


def aggregates_of(row: Any) -> Aggregates:
    return Aggregates(
        count=int(row.n),
        weight=float(row.w or 0),
        weighted_points=float(row.wp or 0),
        weighted_points_sq=float(row.wpp or 0),
        ratings={rating.value: int(getattr(row, rating.name) or 0) for rating in method.POINTS},
    )


def levels(pairs: Any) -> dict[str, Any]:
    """From the sums per (period, supplier, framework or none): the same sums per framework
    (ratings on no framework together), per supplier and overall (sums are additive), one
    select per kind of row."""
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
        ),
        "framework": level("framework", none, p.framework_id, p.framework_id),
        "supplier": level("supplier", p.supplier_id, none, p.supplier_id),
        "all": level("all", none, none),
    }


@dataclasses.dataclass(frozen=True)
class Priors:
    """The means one period's scores are shrunk toward: each framework's (None: ratings on no
    framework) and all suppliers' (for a framework first rated after the priors were taken)."""

    all: float
    frameworks: dict[int | None, float]

    def of(self, framework_id: int | None) -> float:
        return self.frameworks.get(framework_id, self.all)


def mean_sql(level: Any) -> Any:
    """method.mean_of in SQL."""
    return sa.case((level.c.w > 0, level.c.wp / level.c.w), else_=sa.literal(0.0))


def population_priors_sql(pairs: Any) -> Any:
    """Each period's means of every framework (and of ratings on no framework): period_end,
    framework_id, mean."""
    level = levels(pairs)["framework"].subquery("framework")
    return sa.select(level.c.period_end, level.c.framework_id, mean_sql(level).label("mean")).cte(
        "priors"
    )


def _scored(pairs: Any, priors: Any) -> Any:
    """Every (supplier, framework) and (supplier, overall) aggregate of each period beside the
    prior it is shrunk toward and how many components that prior stands for: the rows
    compute_period gives method.compute, as SQL, with `priors` (period_end, framework_id,
    mean). Each of the supplier's components (a framework, or its
    ratings on no framework) meets its prior; the overall sums the components."""
    pair = levels(pairs)["pair"].subquery("pair")
    # Ratings on no framework meet their prior too: equality on a non-null key, so that
    # PostgreSQL can hash-join the pairs to the few priors rather than test every couple.
    components = (
        sa.select(pair, priors.c.mean.label("prior"))
        .join(
            priors,
            sa.and_(
                priors.c.period_end == pair.c.period_end,
                sa.func.coalesce(priors.c.framework_id, NO_FRAMEWORK)
                == sa.func.coalesce(pair.c.framework_id, NO_FRAMEWORK),
            ),
        )
        .cte("components")
    )
    c = components.c
    sums = [c[name] for name in SUMS]
    return sa.union_all(
        sa.select(
            c.period_end,
            c.supplier_id,
            c.framework_id,
            *sums,
            c.prior,
            sa.literal(1).label("components"),
        ).where(c.framework_id.is_not(None)),
        sa.select(
            c.period_end,
            c.supplier_id,
            sa.cast(sa.null(), sa.Integer).label("framework_id"),
            *(sa.func.sum(column).label(column.name) for column in sums),
            (sa.func.sum(c.prior) / sa.cast(sa.func.count(), sa.Float)).label("prior"),
            sa.func.count().label("components"),
        ).group_by(c.period_end, c.supplier_id),
    ).subquery("scored")


def _prior_rows(pairs: Any, priors: Any, columns: list[Any]) -> list[Any]:
    """The population's means of each period as rows shaped like the scores, with no supplier
    (period PRIOR: a framework's, or of ratings on no framework; PRIOR_ALL: all suppliers'),
    so that the statement writing the scores writes them too and reads the assessments once."""
    everyone = levels(pairs)["all"].subquery("all_priors")
    table = cast(sa.Table, Score.__table__)
    rows = []
    for source, framework_id, mean, period in (
        (priors, priors.c.framework_id, priors.c.mean, PRIOR),
        (everyone, everyone.c.framework_id, mean_sql(everyone), PRIOR_ALL),
    ):
        given = {
            "framework_id": framework_id,
            "period": sa.literal(period, sa.String),
            "period_end": source.c.period_end,
            "prior_mean": mean,
        }
        rows.append(
            sa.select(
                *(
                    given.get(column.name, sa.cast(sa.null(), table.c[column.name].type)).label(
                        column.name
                    )
                    for column in columns
                )
            ).select_from(source)
        )
    return rows


def population_prior_rows(periods: list[Period]) -> Any:
    """Each period's priors as a full run takes them from the population, by the same SQL
    (period PRIOR or PRIOR_ALL, period_end, framework_id, prior_mean), without its scores."""
    pairs = all_periods_pairs(periods)
    table = cast(sa.Table, Score.__table__)
    columns = [table.c[name] for name in ("period", "period_end", "framework_id", "prior_mean")]
    return sa.union_all(*_prior_rows(pairs, population_priors_sql(pairs), columns))


def score_rows(
    periods: list[Period],
    priors: Any = None,
    suppliers: Suppliers = None,
    priors_from: str = "",
) -> Any:
    """The scores of every period (of `suppliers`, or all), and with the population's priors
    (`priors` None) the priors too (_prior_rows): method.compute in SQL, the same float operations in the same order (IEEE arithmetic,
    sqrt and pow give the same doubles on both engines and in Python), rounded as Python rounds.
    The inputs column keeps what the aggregates do not: how many components the prior stands
    for, and the full scoring run the priors were taken from."""
    pairs = all_periods_pairs(periods, suppliers)
    population = priors is None
    if priors is None:
        priors = population_priors_sql(pairs)
    scored = _scored(pairs, priors)
    w, wp, wpp, prior = scored.c.w, scored.c.wp, scored.c.wpp, scored.c.prior
    prior_weight = sa.literal(method.PRIOR_WEIGHT) * sa.cast(scored.c.components, sa.Float)
    raw_mean = mean_sql(scored)
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
    inputs = (
        sa.literal('{"prior_components": ', sa.String)
        + sa.cast(c.components, sa.String)
        + sa.literal(f', "priors_from": "{priors_from}"}}', sa.String)
    )
    rows = sa.select(
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
        AsJson(inputs).label("inputs"),
    )
    if not population:
        return rows
    return sa.union_all(rows, *_prior_rows(pairs, priors, list(rows.selected_columns)))
