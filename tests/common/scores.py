"""Scoring arithmetic the tests do by hand, independent of the database."""

from __future__ import annotations

from registry.scoring.assessments.models import Rating
from registry.scoring.scores import method
from registry.scoring.scores.method import Aggregates


def aggregates(counted: list[tuple[float, Rating]]) -> Aggregates:
    """The method's sums over (weight after recency, rating) pairs, added up one by one."""
    return Aggregates(
        count=len(counted),
        weight=sum(w for w, _ in counted),
        weighted_points=sum(w * method.POINTS[r] for w, r in counted),
        weighted_points_sq=sum(w * method.POINTS[r] ** 2 for w, r in counted),
        ratings={r.value: sum(1 for _, x in counted if x == r) for r in method.POINTS},
    )
