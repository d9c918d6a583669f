"""The scoring method, version 1.0: pure arithmetic on aggregates, explained on /methodology.

The aggregates (count, weight and weighted points per supplier and framework) come from SQL in
`registry.scoring.scores`; this module turns one set of aggregates into a score, a confidence band
and a breakdown in words. The same function computes a score and re-derives it for `--verify`.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

from registry.scoring.models import Rating

METHOD_VERSION = "1.0"

# Points per rating. "Other" (not applicable, not assessed) carries no points and is left out.
POINTS: dict[Rating, int] = {
    Rating.good: 100,
    Rating.approaching: 75,
    Rating.requires_improvement: 40,
    Rating.inadequate: 0,
}
# Recency: an assessment's weight falls in a straight line from 1 (its period ended on the as-of
# date) to 0 at 36 months (1,096 days); older assessments no longer count.
WINDOW_DAYS = 1096
# Shrinkage: the framework mean counts as this many full-weight, current assessments. One or two
# assessments move a score only part of the way from the framework mean; many dominate it.
PRIOR_WEIGHT = 3.0
# The spread assumed when the ratings agree (a few identical ratings are not certainty).
MIN_SD = 15.0
Z_95 = 1.96


@dataclasses.dataclass(frozen=True)
class Aggregates:
    """Sums over the assessments that count: n, Σw, Σw·p and Σw·p² (w = weight times recency)."""

    count: int
    weight: float
    weighted_points: float
    weighted_points_sq: float
    ratings: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Result:
    score: float
    band_low: float
    band_high: float
    raw_mean: float
    prior_mean: float
    count: int
    inputs: dict[str, Any]
    breakdown: str


def recency(age_days: int) -> float:
    """The recency factor of an assessment whose period ended `age_days` before the as-of date."""
    if age_days < 0 or age_days >= WINDOW_DAYS:
        return 0.0
    return 1.0 - age_days / WINDOW_DAYS


def mean_of(aggregates: Aggregates) -> float:
    return aggregates.weighted_points / aggregates.weight if aggregates.weight > 0 else 0.0


def compute(
    aggregates: Aggregates, prior_mean: float, as_of: datetime.date, scope: str = "framework"
) -> Result:
    """Score one supplier on one framework (or overall) from its aggregates and the prior mean."""
    weight = aggregates.weight
    raw_mean = mean_of(aggregates)
    score = (aggregates.weighted_points + PRIOR_WEIGHT * prior_mean) / (weight + PRIOR_WEIGHT)
    variance = aggregates.weighted_points_sq / weight - raw_mean**2 if weight > 0 else 0.0
    variance = max(variance, MIN_SD**2)
    margin = Z_95 * math.sqrt(variance / (weight + PRIOR_WEIGHT))
    low, high = max(0.0, score - margin), min(100.0, score + margin)
    inputs = {
        "method_version": METHOD_VERSION,
        "as_of": as_of.isoformat(),
        "count": aggregates.count,
        "weight": round(weight, 6),
        "weighted_points": round(aggregates.weighted_points, 6),
        "weighted_points_sq": round(aggregates.weighted_points_sq, 6),
        "prior_mean": round(prior_mean, 6),
        "prior_weight": PRIOR_WEIGHT,
        "window_days": WINDOW_DAYS,
        "ratings": dict(sorted(aggregates.ratings.items())),
    }
    ratings = ", ".join(f"{name} {n}" for name, n in sorted(aggregates.ratings.items()) if n)
    mean_name = "framework mean" if scope == "framework" else "mean of all suppliers"
    breakdown = (
        f"{aggregates.count} assessment{'s' if aggregates.count != 1 else ''} counted "
        f"({ratings or 'none'}), periods ending in the 36 months to {as_of:%-d %B %Y}. "
        f"Weighted mean of points {raw_mean:.1f}, total weight {weight:.2f} after recency. "
        f"Shrunk toward the {mean_name} {prior_mean:.1f} with prior weight {PRIOR_WEIGHT:g}: "
        f"({weight:.2f} × {raw_mean:.1f} + {PRIOR_WEIGHT:g} × {prior_mean:.1f}) ÷ "  # noqa: RUF001
        f"({weight:.2f} + {PRIOR_WEIGHT:g}) = {score:.1f}. "
        f"95% band {low:.1f} to {high:.1f}."
    )
    return Result(
        score=round(score, 2),
        band_low=round(low, 2),
        band_high=round(high, 2),
        raw_mean=raw_mean,
        prior_mean=prior_mean,
        count=aggregates.count,
        inputs=inputs,
        breakdown=breakdown,
    )


def periods(first_year: int, as_of: datetime.date) -> list[tuple[str, datetime.date]]:
    """One period per calendar year up to the as-of date: (label, the date it is scored as of)."""
    result = []
    for year in range(first_year, as_of.year + 1):
        end = min(datetime.date(year, 12, 31), as_of)
        result.append((str(year), end))
    return result
