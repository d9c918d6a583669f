"""The scoring method, version 2.0: pure arithmetic on aggregates, explained on /methodology.

Version 2.0 (issue 19): the overall score is made of the supplier's framework scores. Each
framework score shrinks the supplier's ratings on the framework toward the framework mean with
prior weight PRIOR_WEIGHT; ratings of contracts on no framework form one more component, shrunk
toward the mean of all such ratings. The overall score shrinks all the supplier's ratings toward
the average of its components' priors with PRIOR_WEIGHT per component, which is the same as the
average of its component scores each weighted by (its ratings' weight + PRIOR_WEIGHT): so it
always lies within the range of its components and equals a single framework's score.

The aggregates (count, weight and weighted points per supplier and framework) come from SQL in
`registry.scoring.scores.sql`; this module turns one set of aggregates into a score, a confidence
band and a breakdown in words. The same function computes a score and re-derives it for `--verify`.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

from registry.scoring.assessments.models import Rating

METHOD_VERSION = "2.0"

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


def own_share(weight: float, prior_weight: float = PRIOR_WEIGHT) -> float:
    """The part of a score that comes from the supplier's own ratings (0 to 1); the rest comes
    from the prior it is shrunk toward."""
    return weight / (weight + prior_weight) if weight + prior_weight > 0 else 0.0


def share_text(count: int, weight: float, prior_weight: float, scope: str = "framework") -> str:
    """The own-ratings share in words, as the scorecard, the breakdown and the API say it."""
    prior = "framework" if scope == "framework" else "frameworks it is scored on"
    return (
        f"Based on {count} rating{'s' if count != 1 else ''} (weight {weight:.2f}) and the "
        f"average of all suppliers on the {prior} (weight {prior_weight:g}): "
        f"{own_share(weight, prior_weight) * 100:.0f}% from this supplier's own ratings, "
        f"{(1 - own_share(weight, prior_weight)) * 100:.0f}% from the average."
    )


def overall_prior(priors: list[float]) -> tuple[float, float]:
    """The prior mean and weight of an overall score made of components shrunk toward `priors`:
    their average, with PRIOR_WEIGHT for each component."""
    return sum(priors) / len(priors), PRIOR_WEIGHT * len(priors)


def compute(
    aggregates: Aggregates,
    prior_mean: float,
    as_of: datetime.date,
    scope: str = "framework",
    prior_weight: float = PRIOR_WEIGHT,
    priors_from: str | None = None,
) -> Result:
    """Score one supplier on one framework (or overall) from its aggregates and the prior mean.
    `priors_from` names the full scoring run the prior was taken from (kept in the inputs)."""
    weight = aggregates.weight
    raw_mean = mean_of(aggregates)
    score = (aggregates.weighted_points + prior_weight * prior_mean) / (weight + prior_weight)
    variance = aggregates.weighted_points_sq / weight - raw_mean**2 if weight > 0 else 0.0
    variance = max(variance, MIN_SD**2)
    margin = Z_95 * math.sqrt(variance / (weight + prior_weight))
    low, high = max(0.0, score - margin), min(100.0, score + margin)
    inputs = {
        "method_version": METHOD_VERSION,
        "as_of": as_of.isoformat(),
        "count": aggregates.count,
        "weight": round(weight, 6),
        "weighted_points": round(aggregates.weighted_points, 6),
        "weighted_points_sq": round(aggregates.weighted_points_sq, 6),
        "prior_mean": round(prior_mean, 6),
        "prior_weight": prior_weight,
        "own_share": round(own_share(weight, prior_weight), 6),
        "window_days": WINDOW_DAYS,
        "ratings": dict(sorted(aggregates.ratings.items())),
    }
    if priors_from is not None:
        inputs["priors_from"] = priors_from
    ratings = ", ".join(f"{name} {n}" for name, n in sorted(aggregates.ratings.items()) if n)
    mean_name = "framework mean" if scope == "framework" else "average of its frameworks' means"
    breakdown = (
        f"{aggregates.count} assessment{'s' if aggregates.count != 1 else ''} counted "
        f"({ratings or 'none'}), periods ending in the 36 months to {as_of:%-d %B %Y}. "
        f"Weighted mean of points {raw_mean:.1f}, total weight {weight:.2f} after recency. "
        f"Shrunk toward the {mean_name} {prior_mean:.1f} with prior weight {prior_weight:g}: "
        f"({weight:.2f} × {raw_mean:.1f} + {prior_weight:g} × {prior_mean:.1f}) ÷ "  # noqa: RUF001
        f"({weight:.2f} + {prior_weight:g}) = {score:.1f}. "
        f"95% band {low:.1f} to {high:.1f}. "
        + share_text(aggregates.count, weight, prior_weight, scope)
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
