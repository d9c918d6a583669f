"""The scoring report's coverage: each supplier on a framework is scored there, or not, with why."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session

from registry.scoring.assessments.models import Rating
from registry.scoring.scores import services as scores
from registry.scoring.scores.coverage import (
    NO_ASSESSMENTS,
    NONE_COUNTED,
    NOT_RECOMPUTED,
    coverage_select,
    score_coverage,
)
from tests.common.db.core import ContractFactory, LotFactory, MembershipFactory
from tests.common.db.scoring import AssessmentFactory


def test_every_supplier_on_a_framework_is_scored_or_says_why_not(db_session: Session) -> None:
    lot = LotFactory()
    rated, other_only, silent = (MembershipFactory(lot=lot) for _ in range(3))
    for membership, rating in ((rated, Rating.good), (other_only, Rating.other)):
        AssessmentFactory(
            contract=ContractFactory(supplier=membership.supplier, lot=lot), rating=rating
        )
    reasons = {row.supplier_id: row.reason for row in db_session.execute(coverage_select())}
    assert reasons == {
        rated.supplier_id: NOT_RECOMPUTED,
        other_only.supplier_id: NONE_COUNTED,
        silent.supplier_id: NO_ASSESSMENTS,
    }
    scores.recompute(db_session, datetime.date(2025, 6, 30))
    states = {row.supplier_id: row.state for row in db_session.execute(coverage_select())}
    assert states[rated.supplier_id] == "scored"
    assert states[silent.supplier_id] == "not scored"
    summary = score_coverage(db_session)
    assert summary.scored == 1
    assert summary.not_scored == {NONE_COUNTED: 1, NO_ASSESSMENTS: 1}
    assert summary.describe().startswith(
        "Coverage: 3 supplier-framework pairs, 1 scored, 2 not scored"
    )
