"""Scores from the database: the SQL aggregates agree with the hand-computed method, drafts and
retracted assessments never count, and `registry score --verify` catches a tampered row."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.db import RoundHalfEven, create_engine, utcnow
from registry.scoring.assessments.models import AssessmentStatus, Rating
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from tests.common.cli import run_cli, write_ini
from tests.common.db import base as factories
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory

AS_OF = datetime.date(2024, 12, 31)


def _world() -> dict[str, Any]:
    """Supplier A: Good now, Good 548 days ago (recency 0.5); supplier B: Inadequate now.
    Framework mean = (100 + 50 + 0) / 2.5 = 60; A = (150 + 180) / 4.5 = 73.33; B = 180 / 4 = 45.
    Drafts, retracted, Other and too-old assessments must not move these numbers."""
    framework = FrameworkFactory.create(reference="RM1000")
    lot = LotFactory.create(framework=framework)
    a, b = SupplierFactory.create(name="A Ltd"), SupplierFactory.create(name="B Ltd")
    contract_a = ContractFactory.create(supplier=a, lot=lot)
    contract_b = ContractFactory.create(supplier=b, lot=lot)
    AssessmentFactory.create(contract=contract_a, period_end=AS_OF)
    AssessmentFactory.create(
        contract=contract_a,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 7, 2),
    )
    AssessmentFactory.create(contract=contract_b, rating=Rating.inadequate, period_end=AS_OF)
    # None of these count.
    AssessmentFactory.create(contract=contract_b, status=AssessmentStatus.draft, period_end=AS_OF)
    AssessmentFactory.create(
        contract=contract_b, status=AssessmentStatus.approved, period_end=AS_OF
    )
    AssessmentFactory.create(contract=contract_b, rating=Rating.other, period_end=AS_OF)
    AssessmentFactory.create(
        contract=contract_b, period_end=AS_OF, retracted_at=utcnow(), retraction_reason="wrong"
    )
    AssessmentFactory.create(
        contract=contract_b,
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),  # 1,096 days before: outside the window
    )
    return {"framework": framework, "a": a, "b": b}


def test_sql_aggregates_give_the_hand_computed_scores(db_session: Session) -> None:
    world = _world()
    results = scores.compute_period(db_session, AS_OF)
    framework_id = world["framework"].id
    a = results[(world["a"].id, framework_id)]
    b = results[(world["b"].id, framework_id)]
    assert (a.count, a.score, a.prior_mean) == (2, 73.33, pytest.approx(60.0))
    assert (b.count, b.score) == (1, 45.0)
    assert results[(world["a"].id, None)].score == 73.33  # overall: same assessments, same mean
    assert a.inputs["weight"] == pytest.approx(1.5)
    assert a.inputs["ratings"]["Good"] == 2


def test_recompute_rewrites_only_changed_scores_and_keeps_superseded_ones(
    db_session: Session,
) -> None:
    world = _world()
    first = scores.recompute(db_session, AS_OF)
    assert first.periods == 4  # 2021 to 2024
    assert first.written == first.scores > 0 and first.superseded == 0
    again = scores.recompute(db_session, AS_OF)
    assert (again.scores, again.written, again.superseded) == (first.scores, 0, 0)

    # A new rating for B in 2024 moves B's 2024 scores, the framework mean and so A's 2024
    # scores, and the mean of all suppliers: the four 2024 scores, and no earlier one.
    lot = LotFactory.create(framework=world["framework"])
    contract = ContractFactory.create(supplier=world["b"], lot=lot)
    AssessmentFactory.create(contract=contract, rating=Rating.good, period_end=AS_OF)
    changed = scores.recompute(db_session, AS_OF)
    assert (changed.scores, changed.written, changed.superseded) == (first.scores, 4, 4)
    rows = db_session.scalars(sa.select(Score)).all()
    assert len(rows) == first.scores + 4
    old = [row for row in rows if not row.current]
    assert {(row.period, row.supplier_id) for row in old} == {
        ("2024", world["a"].id),
        ("2024", world["b"].id),
    }
    assert scores.verify(db_session) == []
    event = db_session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "scores.recompute")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert event is not None and event.after is not None
    assert (event.after["written"], event.after["superseded"]) == (4, 4)


def test_score_cli_verify_reports_a_tampered_row(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.fresh()
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            factories.bind(session)
            try:
                world = _world()
                session.commit()
            finally:
                factories.bind(None)
            supplier_a = world["a"].id
        ini = write_ini(tmp_path, url)
        result = run_cli(ini, "score", "--as-of", "2024-12-31")
        assert result.exit_code == 0, result.output
        assert "over 4 periods" in result.output
        result = run_cli(ini, "score", "--verify")
        assert result.exit_code == 0, result.output
        assert "Every current score matches" in result.output

        with engine.begin() as conn:
            tampered = conn.execute(
                sa.select(Score.id).where(
                    Score.supplier_id == supplier_a,
                    Score.framework_id.is_not(None),
                    Score.period == "2024",
                    Score.current.is_(True),
                )
            ).scalar_one()
            conn.execute(sa.update(Score).where(Score.id == tampered).values(score=99))
        result = run_cli(ini, "score", "--verify")
        assert result.exit_code == 1
        assert f"score {tampered} (supplier {supplier_a}" in result.output
        assert "stored 99.00, re-derived 73.33" in result.output
    finally:
        engine.dispose()


def test_score_cli_refuses_a_bad_date(database_factory: Any, tmp_path: Path) -> None:
    ini = write_ini(tmp_path, database_factory.fresh())
    result = run_cli(ini, "score", "--as-of", "31/12/2024")
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_sql_scores_equal_the_python_method_to_the_byte(db_session: Session) -> None:
    """`recompute` applies the method in SQL and stores aggregates; what is read back (numbers,
    inputs, breakdown in words) must be exactly what method.compute gives for the same period."""
    _world()
    scores.recompute(db_session, AS_OF)
    stored = db_session.scalars(sa.select(Score).where(Score.current.is_(True))).all()
    ends = {score.period_end for score in stored}
    run = scores.last_run(db_session)
    assert run is not None  # the run records its priors, and each score names the run
    expected = {
        end: scores.compute_period(db_session, end, run.priors[end], run.computed_at)
        for end in ends
    }
    assert len(stored) == sum(len(v) for v in expected.values()) > 5
    for score in stored:
        result = expected[score.period_end][(score.supplier_id, score.framework_id)]
        assert score.stored_breakdown is None  # derived when read, from the stored aggregates
        assert (score.score, score.band_low, score.band_high) == tuple(
            Decimal(f"{x:.2f}") for x in (result.score, result.band_low, result.band_high)
        )
        assert score.inputs == result.inputs
        assert json.dumps(score.inputs) == json.dumps(result.inputs)
        assert score.breakdown == result.breakdown


@pytest.mark.parametrize("value", [1.125, 81.125, 72.345, 0.005, 2.675, 99.995, 45.0, 73.3333])
def test_sql_rounding_is_pythons(db_session: Session, value: float) -> None:
    """SQLite's round() takes 1.125 to 1.13; Python (the method) rounds the binary value to even."""
    rounded = db_session.execute(sa.select(RoundHalfEven(sa.literal(value), 2))).scalar_one()
    assert Decimal(str(rounded)) == Decimal(str(round(value, 2)))
