"""Coverage of the scoring report: every supplier on a framework is either scored there, or not,
with the reason, so a missing score never reads as a good one. Read-only and set-based: one query
over the (supplier, framework) pairs that memberships give.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.frameworks.models import Framework, Lot, Membership
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.assessments.public import published_assessments
from registry.scoring.scores.models import Score
from registry.suppliers.models import Supplier

SCORED = "scored"
NOT_SCORED = "not scored"
NO_ASSESSMENTS = "no published assessments"
NONE_COUNTED = "published assessments, but none the method counts (all rated Other)"
NOT_RECOMPUTED = "published assessments not yet scored: run registry score"


def coverage_select() -> sa.Select[Any]:
    """supplier_id, framework_id, supplier, framework, state, reason: one row per pair."""
    pairs = (
        sa.select(Membership.supplier_id, Lot.framework_id)
        .join(Lot, Lot.id == Membership.lot_id)
        .distinct()
        .subquery()
    )

    def exists(*where: Any) -> Any:
        return (
            sa.select(Assessment.id)
            .where(
                Assessment.supplier_id == pairs.c.supplier_id,
                Assessment.framework_id == pairs.c.framework_id,
                *published_assessments(),
                *where,
            )
            .exists()
        )

    scored = (
        sa.select(Score.id)
        .where(
            Score.supplier_id == pairs.c.supplier_id,
            Score.framework_id == pairs.c.framework_id,
            Score.current.is_(True),
        )
        .exists()
    )
    state = sa.case((scored, SCORED), else_=NOT_SCORED)
    reason = sa.case(
        (scored, sa.null()),
        (~exists(), NO_ASSESSMENTS),
        (~exists(Assessment.rating != Rating.other), NONE_COUNTED),
        else_=NOT_RECOMPUTED,
    )
    return (
        sa.select(
            pairs.c.supplier_id,
            pairs.c.framework_id,
            Supplier.name.label("supplier"),
            Framework.reference.label("framework"),
            state.label("state"),
            reason.label("reason"),
        )
        .join(Supplier, Supplier.id == pairs.c.supplier_id)
        .join(Framework, Framework.id == pairs.c.framework_id)
        .where(Supplier.merged_into_id.is_(None), Framework.retracted_at.is_(None))
        .order_by(Framework.reference, Supplier.name)
    )


@dataclasses.dataclass(frozen=True)
class ScoreCoverage:
    scored: int
    not_scored: dict[str, int]  # by reason

    def describe(self) -> str:
        total = self.scored + sum(self.not_scored.values())
        reasons = "; ".join(f"{n:,} {why}" for why, n in sorted(self.not_scored.items()))
        text = f"Coverage: {total:,} supplier-framework pairs, {self.scored:,} scored"
        return f"{text}, {total - self.scored:,} not scored ({reasons})." if reasons else text + "."


def score_coverage(db: Session) -> ScoreCoverage:
    rows = coverage_select().order_by(None).subquery()
    counts = db.execute(
        sa.select(rows.c.state, rows.c.reason, sa.func.count()).group_by(
            rows.c.state, rows.c.reason
        )
    ).all()
    return ScoreCoverage(
        scored=sum(n for state, _reason, n in counts if state == SCORED),
        not_scored={reason: n for state, reason, n in counts if state != SCORED},
    )
