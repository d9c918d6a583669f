"""The scoring seed: loads on top of the core seed, and refuses bad files naming the JSON path."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.db import create_engine
from registry.frameworks.models import Framework, Lot, Membership, MembershipStatus
from registry.scoring.assessments.evidence import CONTRADICTION_ACTION
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.remedies.models import Exclusion, RemediationPlan
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from registry.scoring.seed import ScoringSeedError, load_scoring_seed
from registry.seed import load_seed_data
from registry.suppliers.models import Supplier

TODAY = datetime.date(2026, 11, 25)


def test_seed_gives_scorecards_with_trends_replies_plans_and_exclusions(
    database_factory: Any,
) -> None:
    engine = create_engine(database_factory.fresh())
    try:
        with Session(engine) as db, db.begin():
            counts = load_seed_data(db)  # `registry seed` loads the scoring seed after the core
            assert counts["assessments"] >= 40 and counts["scores"] > 0
            statuses = dict(
                db.execute(
                    sa.select(Assessment.status, sa.func.count()).group_by(Assessment.status)
                ).all()
            )
            assert statuses[AssessmentStatus.draft] == 1
            # Two wait for review: one plain, and one whose Good contradicts its measurement.
            assert statuses[AssessmentStatus.submitted] == 2
            flagged = db.execute(
                sa.select(AuditEvent.reason).where(AuditEvent.action == CONTRADICTION_ACTION)
            ).scalars()
            # The contradictory submission, and the DSPT rating an auditor later adjusted.
            assert sorted(r.split(" but ")[0] for r in flagged if r) == [
                "Rated Good",
                "Rated Requires improvement",
            ]
            assert db.scalar(sa.select(sa.func.count()).select_from(RemediationPlan)) == 1
            assert db.scalar(sa.select(sa.func.count()).select_from(Exclusion)) == 1
            tpp_on_gpitf = db.scalars(
                sa.select(Membership.status)
                .join(Lot)
                .join(Framework)
                .join(Supplier, Membership.supplier_id == Supplier.id)
                .where(
                    Framework.reference == "GPITF",
                    Lot.number == "1",
                    Supplier.name.startswith("TPP"),
                )
            ).one()
            assert tpp_on_gpitf == MembershipStatus.in_remediation
            periods = db.scalars(
                sa.select(sa.func.count(sa.distinct(Score.period))).where(Score.current.is_(True))
            ).one()
            assert periods >= 5  # a trend, not a point
            assert scores.verify(db) == []
    finally:
        engine.dispose()


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    (tmp_path / "scoring").mkdir()
    (tmp_path / "scoring" / "assessments.json").write_text(json.dumps(data))
    return tmp_path


ENTRY = {
    "supplier": "Nobody Ltd",
    "framework": "RM1",
    "obligation": "X",
    "status": "published",
    "period_start": "2024-01-01",
    "period_end": "2024-12-31",
    "rating": "Good",
}


def test_schema_problems_name_the_json_path(db_session: Session, tmp_path: Path) -> None:
    directory = _write(tmp_path, {"assessments": [{**ENTRY, "rating": "Excellent"}]})
    with pytest.raises(ScoringSeedError) as caught:
        load_scoring_seed(db_session, directory, TODAY)
    assert any("at $.assessments[0].rating:" in p for p in caught.value.problems)


def test_unknown_references_are_named(db_session: Session, tmp_path: Path) -> None:
    directory = _write(tmp_path, {"assessments": [ENTRY]})
    with pytest.raises(ScoringSeedError) as caught:
        load_scoring_seed(db_session, directory, TODAY)
    assert caught.value.problems == [
        f"{tmp_path.name}/scoring/assessments.json at $.assessments[0].supplier: "
        "no supplier named 'Nobody Ltd'",
        f"{tmp_path.name}/scoring/assessments.json at $.assessments[0].framework: "
        "no framework 'RM1'",
    ]
