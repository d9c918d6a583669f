"""The overall score is consistent with the framework scores it is made of (method 2.0, issue 19):
over random rating sets it lies within their range, and with one framework it equals it; the
same holds for the scores `registry score` stores."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from registry.scoring.assessments.models import Rating
from registry.scoring.scores import method
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory
from tests.common.scores import aggregates

AS_OF = datetime.date(2024, 12, 31)
RATED = list(method.POINTS)

# One rating: its weight after recency and its rating.
ratings = st.lists(
    st.tuples(st.floats(0.001, 5.0, allow_nan=False), st.sampled_from(RATED)),
    min_size=1,
    max_size=8,
)
# A supplier's components: each a set of ratings and the mean it is shrunk toward.
components = st.lists(st.tuples(ratings, st.floats(0.0, 100.0)), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(components)
def test_overall_lies_within_its_framework_scores(
    parts: list[tuple[list[tuple[float, Rating]], float]],
) -> None:
    framework_scores = [method.compute(aggregates(c), prior, AS_OF).score for c, prior in parts]
    prior_mean, prior_weight = method.overall_prior([prior for _, prior in parts])
    everything = [rating for c, _ in parts for rating in c]
    overall = method.compute(aggregates(everything), prior_mean, AS_OF, "overall", prior_weight)
    assert min(framework_scores) - 0.01 <= overall.score <= max(framework_scores) + 0.01
    if len(parts) == 1:
        assert overall.score == framework_scores[0]


@settings(max_examples=200, deadline=None)
@given(ratings, st.floats(0.0, 100.0))
def test_one_framework_overall_equals_it(counted: list[tuple[float, Rating]], prior: float) -> None:
    framework = method.compute(aggregates(counted), prior, AS_OF)
    mean, weight = method.overall_prior([prior])
    overall = method.compute(aggregates(counted), mean, AS_OF, "overall", weight)
    assert (overall.score, overall.band_low, overall.band_high) == (
        framework.score,
        framework.band_low,
        framework.band_high,
    )
    assert method.own_share(overall.inputs["weight"], weight) == pytest.approx(
        framework.inputs["own_share"], abs=1e-6
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_overall_scores_lie_within_their_framework_scores(
    db_session: Session, seed: int
) -> None:
    """Random ratings of four suppliers on three frameworks, scored by `registry score`'s SQL."""
    rng = random.Random(seed)
    lots = [LotFactory.create(framework=FrameworkFactory.create()) for _ in range(3)]
    suppliers = [SupplierFactory.create() for _ in range(4)]
    for supplier in suppliers:
        for lot in rng.sample(lots, rng.randint(1, 3)):
            contract = ContractFactory.create(supplier=supplier, lot=lot)
            for _ in range(rng.randint(1, 4)):
                end = AS_OF - datetime.timedelta(days=rng.randint(0, 1000))
                AssessmentFactory.create(
                    contract=contract,
                    rating=rng.choice(RATED),
                    weight=Decimal(rng.choice(["0.5", "1", "2.5"])),
                    period_start=end - datetime.timedelta(days=30),
                    period_end=end,
                )
    scores.recompute(db_session, AS_OF)
    rows = db_session.scalars(
        sa.select(Score).where(Score.current.is_(True), Score.period_end == AS_OF)
    ).all()
    for supplier in suppliers:
        mine = [r for r in rows if r.supplier_id == supplier.id]
        overall = next(r for r in mine if r.framework_id is None)
        parts = [r.score for r in mine if r.framework_id is not None]
        assert min(parts) <= overall.score <= max(parts), (seed, supplier.id)
        if len(parts) == 1:
            assert overall.score == parts[0]
    assert scores.verify(db_session) == []
