"""The score log (issue 21, migration 0034): the database's triggers name the suppliers and
frameworks whose assessments changed in what the scores read, whoever wrote them; `registry
score` and `registry detect` each take only their own log; a run that finds nothing changed
reads no assessment beyond one index look-up, however many there are; the migration comes and
goes cleanly."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from registry.changes import logged, rated
from registry.changes.models import Change, ScoreChange
from registry.db import create_engine
from registry.migrate import alembic_config, upgrade_to_head
from registry.scoring.assessments.models import Assessment
from registry.scoring.scores import incremental
from registry.scoring.scores import services as scores
from registry.scoring.scores.sql import NO_FRAMEWORK
from tests.common.db import base as factories
from tests.common.db.core import ContractFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory

AS_OF = datetime.date(2024, 12, 31)
TRIGGERS = {
    "score_log_assessments_inserted",
    "score_log_assessments_updated",
    "score_log_assessments_deleted",
    "score_log_contracts_published",
}


def logged_now(db: Session) -> set[tuple[str, int]]:
    rows = db.execute(sa.select(ScoreChange.kind, ScoreChange.subject))
    return {(kind, subject) for kind, subject in rows}


def clear(db: Session) -> None:
    db.execute(sa.delete(ScoreChange))


def by_sql(db: Session, sql: str, **params: Any) -> None:
    db.connection().execute(sa.text(sql), params)


@pytest.fixture
def rated_pair(db_session: Session) -> tuple[Assessment, int]:
    """An assessment on a framework, and another supplier; the log emptied."""
    assessment = AssessmentFactory.create(contract=ContractFactory.create(lot=LotFactory.create()))
    other = SupplierFactory.create().id
    db_session.flush()
    clear(db_session)
    return assessment, other


def test_every_input_of_a_score_is_logged_whoever_writes_it(
    db_session: Session, rated_pair: tuple[Assessment, int]
) -> None:
    assessment, other = rated_pair
    supplier, framework = assessment.supplier_id, assessment.framework_id
    assert framework is not None
    ours = {("supplier", supplier), ("framework", framework)}
    # What the scores read, each changed by hand-written SQL (the ORM's writes fire the same).
    changes = {
        "rating": "'Inadequate'",
        "weight": "2",
        "period_end_day": "period_end_day - 1",
        "status": "'retracted'",
        "retracted_at": "CURRENT_TIMESTAMP",
    }
    assert set(incremental.READ) - {"supplier_id", "framework_id"} <= set(changes)
    for column, value in changes.items():
        by_sql(
            db_session,
            f"UPDATE assessments SET {column} = {value} WHERE id = :id",
            id=assessment.id,
        )
        assert logged_now(db_session) == ours, column
        clear(db_session)
    # A move logs both sides; on no framework is NO_FRAMEWORK.
    by_sql(
        db_session,
        "UPDATE assessments SET supplier_id = :other, framework_id = NULL WHERE id = :id",
        other=other,
        id=assessment.id,
    )
    assert logged_now(db_session) == ours | {("supplier", other), ("framework", NO_FRAMEWORK)}
    clear(db_session)
    # What the scores do not read logs nothing.
    by_sql(db_session, "UPDATE assessments SET evidence = 'More' WHERE id = :id", id=assessment.id)
    assert logged_now(db_session) == set()
    # The contract's publication counts; its other columns do not.
    contract_id = assessment.contract_id
    by_sql(db_session, "UPDATE contracts SET title = 'Renamed' WHERE id = :id", id=contract_id)
    assert logged_now(db_session) == set()
    by_sql(db_session, "UPDATE contracts SET publication = 'draft' WHERE id = :id", id=contract_id)
    assert logged_now(db_session) == {("supplier", other), ("framework", NO_FRAMEWORK)}
    clear(db_session)
    by_sql(db_session, "DELETE FROM assessment_replies WHERE assessment_id = :id", id=assessment.id)
    by_sql(db_session, "DELETE FROM assessments WHERE id = :id", id=assessment.id)
    assert logged_now(db_session) == {("supplier", other), ("framework", NO_FRAMEWORK)}


def test_a_bulk_write_logs_each_subject_once(db_session: Session) -> None:
    model = AssessmentFactory.create()
    db_session.flush()
    clear(db_session)
    # Three more of the same supplier's, by one INSERT ... SELECT (as a load writes them).
    table: sa.Table = Assessment.__table__  # type: ignore[assignment]
    a = table.c
    columns = [c.name for c in table.columns if c.name not in ("id", "kpi_key")]
    copies = sa.union_all(
        *(
            sa.select(*(a[name] for name in columns), (a.kpi_key + f"-{n}").label("kpi_key")).where(
                a.id == model.id
            )
            for n in range(3)
        )
    )
    db_session.execute(table.insert().from_select([*columns, "kpi_key"], copies))
    rows = db_session.execute(sa.select(ScoreChange.kind, ScoreChange.subject)).all()
    assert sorted(rows) == [("framework", NO_FRAMEWORK), ("supplier", model.supplier_id)]
    assert rated.take(db_session) == 2
    assert logged_now(db_session) == set()
    rated.forget_temporary(db_session)


def test_score_and_detect_take_only_their_own_log(db_session: Session) -> None:
    assessment = AssessmentFactory.create()
    db_session.flush()
    contracts = db_session.execute(sa.select(sa.func.count()).select_from(Change)).scalar_one()
    assert contracts and logged_now(db_session)
    logged.take(db_session)
    logged.forget_temporary(db_session)
    assert logged_now(db_session) == {
        ("supplier", assessment.supplier_id),
        ("framework", NO_FRAMEWORK),
    }
    by_sql(
        db_session, "UPDATE contracts SET title = 'Again' WHERE id = :id", id=assessment.contract_id
    )
    assert rated.take(db_session) == 2
    rated.forget_temporary(db_session)
    assert db_session.execute(sa.select(sa.func.count()).select_from(Change)).scalar_one()


class Statements:
    """The SQL a block runs on the session's connection."""

    def __init__(self, db: Session) -> None:
        self.engine = db.get_bind()
        self.seen: list[tuple[str, Any]] = []

    def _heard(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        sa.event.listen(self.engine, "before_cursor_execute", self._heard)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._heard)

    def reading(self, table: str) -> list[tuple[str, Any]]:
        return [(s, p) for s, p in self.seen if f"FROM {table}" in s or f"JOIN {table}" in s]


def _rated(count: int) -> None:
    for n in range(count):
        AssessmentFactory.create(
            contract=ContractFactory.create(lot=LotFactory.create()),
            weight=Decimal(1 + n % 3),
            period_end=AS_OF - datetime.timedelta(days=n),
        )


def _nothing_changed(db: Session) -> Statements:
    with Statements(db) as statements:
        said, _ = incremental.score(db, AS_OF)
    assert said.startswith("Nothing changed since the last run"), said
    return statements


def test_a_run_that_finds_nothing_changed_reads_no_assessment(db_session: Session) -> None:
    _rated(3)
    db_session.flush()
    with Statements(db_session) as first:
        assert incremental.score(db_session, AS_OF)[0].startswith("Full run (first run)")
    # The full run reads the assessments: what this test looks for is there to be seen.
    assert len(first.reading("assessments")) > 1
    small = _nothing_changed(db_session)
    # Only the first scoring period's look-ups read them: the earliest published period end
    # (a minimum, off the status index), and one assessment that counts at that end.
    lookups = small.reading("assessments")
    assert len(lookups) == 2
    assert "min(" in lookups[0][0].lower() and "contracts" not in lookups[0][0]
    assert "LIMIT" in lookups[1][0]
    if db_session.get_bind().dialect.name == "sqlite":
        for sql, parameters in lookups:
            plan = db_session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
            details = [row[-1] for row in plan]
            assert not [d for d in details if d.startswith("SCAN assessments")], details
    # Ten times the assessments, rescored by an incremental run: nothing changed costs the same.
    _rated(30)
    db_session.flush()
    said, _ = incremental.score(db_session, AS_OF)
    assert "30 suppliers and" in said, said
    larger = _nothing_changed(db_session)
    assert len(larger.seen) == len(small.seen)


def _triggers(conn: Any) -> set[str]:
    sql = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        if conn.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    return set(conn.exec_driver_sql(sql).scalars())


def test_the_migration_adds_the_log_and_its_triggers_and_takes_them_away(
    database_factory: Any,
) -> None:
    url = database_factory.fresh()
    engine = create_engine(url)
    with engine.connect() as conn:
        at_head = _triggers(conn)
    assert at_head >= TRIGGERS
    engine.dispose()  # alembic works on its own connection; the downgrade must not wait on ours
    # Compared at 0034 itself: later migrations replace other tables' triggers (0035).
    command.downgrade(alembic_config(url), "0034")
    with engine.connect() as conn:
        before = _triggers(conn)
    assert before >= TRIGGERS
    engine.dispose()
    command.downgrade(alembic_config(url), "0033")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("score_log")
        # Detect's triggers (0033) and the search vectors' stay.
        assert _triggers(conn) == before - TRIGGERS
    engine.dispose()
    upgrade_to_head(url)
    with engine.connect() as conn:
        assert _triggers(conn) == at_head
    with Session(engine) as db:
        factories.bind(db)
        try:
            assessment = AssessmentFactory.create()
            db.flush()
            assert ("supplier", assessment.supplier_id) in logged_now(db)
        finally:
            factories.bind(None)
    engine.dispose()


def test_the_first_period_is_that_of_the_earliest_assessment_that_counts(
    db_session: Session,
) -> None:
    early, _ = (
        AssessmentFactory.create(period_start=datetime.date(year, 1, 1), period_end=end)
        for year, end in ((2021, datetime.date(2021, 6, 30)), (2023, datetime.date(2023, 6, 30)))
    )
    db_session.flush()
    assert scores.scoring_periods(db_session, AS_OF)[0][1].year == 2021
    # The earliest rates a contract made a draft again: it no longer counts.
    by_sql(
        db_session,
        "UPDATE contracts SET publication = 'draft' WHERE id = :id",
        id=early.contract_id,
    )
    assert scores.scoring_periods(db_session, AS_OF)[0][1].year == 2023
    by_sql(db_session, "UPDATE assessments SET status = 'retracted'")
    assert scores.scoring_periods(db_session, AS_OF) == []
