"""The scoring method on hand-computed examples."""

from __future__ import annotations

import datetime
import math

import pytest

from registry.scoring.scores import method
from registry.scoring.scores.method import Aggregates

AS_OF = datetime.date(2024, 12, 31)


def test_points_follow_the_issue_defaults_and_other_is_excluded() -> None:
    assert {r.value: p for r, p in method.POINTS.items()} == {
        "Good": 100,
        "Approaching target": 75,
        "Requires improvement": 40,
        "Inadequate": 0,
    }


def test_recency_falls_linearly_to_zero_at_36_months() -> None:
    assert method.recency(0) == 1.0
    assert method.recency(548) == pytest.approx(0.5)
    assert method.recency(1095) == pytest.approx(1 / 1096)
    assert method.recency(1096) == 0.0
    assert method.recency(-1) == 0.0  # a period ending after the as-of date does not count


def test_two_good_ratings_are_shrunk_toward_the_framework_mean() -> None:
    # Two current Good ratings (weight 1 each), framework mean 60, prior weight 3:
    # (2 x 100 + 3 x 60) / (2 + 3) = 76. Identical ratings: spread floored at 15,
    # margin = 1.96 x √(225 / 5) = 13.148.
    result = method.compute(Aggregates(2, 2.0, 200.0, 20000.0, {"Good": 2}), 60.0, AS_OF)
    assert result.score == 76.0
    margin = 1.96 * math.sqrt(225 / 5)
    assert result.band_low == round(76 - margin, 2) == 62.85
    assert result.band_high == round(76 + margin, 2) == 89.15
    assert "(2.00 \u00d7 100.0 + 3 \u00d7 60.0) ÷ (2.00 + 3) = 76.0" in result.breakdown
    assert result.inputs["count"] == 2 and result.inputs["method_version"] == "2.0"


def test_many_assessments_dominate_the_prior() -> None:
    # 97 current Good ratings: (9700 + 3 x 0) / 100 = 97 even with a framework mean of 0.
    result = method.compute(Aggregates(97, 97.0, 9700.0, 970000.0), 0.0, AS_OF)
    assert result.score == 97.0


def test_an_old_good_rating_counts_less_than_a_recent_inadequate_one() -> None:
    # Good whose period ended 548 days before (recency 0.5), Inadequate ending on the day (1.0):
    # Σw = 1.5, Σw·p = 50, raw mean 33.33; mean 50 as prior: (50 + 150) / 4.5 = 44.44.
    aggregates = Aggregates(2, 1.5, 50.0, 5000.0)
    result = method.compute(aggregates, 50.0, AS_OF)
    assert result.raw_mean == pytest.approx(100 / 3)
    assert result.score == 44.44
    # Spread: Σw·p²/Σw - mean² = 3333.3 - 1111.1 = 2222.2 (above the floor).
    margin = 1.96 * math.sqrt((5000 / 1.5 - (100 / 3) ** 2) / 4.5)
    assert result.band_low == round(200 / 4.5 - margin, 2)


def test_band_stays_within_0_and_100() -> None:
    result = method.compute(Aggregates(1, 1.0, 100.0, 10000.0), 100.0, AS_OF)
    assert result.score == 100.0 and result.band_high == 100.0


def test_periods_are_calendar_years_up_to_the_as_of_date() -> None:
    assert method.periods(2022, datetime.date(2024, 5, 1)) == [
        ("2022", datetime.date(2022, 12, 31)),
        ("2023", datetime.date(2023, 12, 31)),
        ("2024", datetime.date(2024, 5, 1)),
    ]
