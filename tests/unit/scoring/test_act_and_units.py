"""Issue 19 points 1 and 3 in the services: clocks only where the Procurement Act 2023 applies,
units compared after normalisation (a check that did not run says so), periods that must have
ended, reply windows from submission, and the review queue's actionable order and targets."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.scoring.assessments import evidence, queue
from registry.scoring.assessments import services as service
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.clocks import rules
from registry.scoring.clocks.services import Scope, clocks, on_time
from tests.common.db.core import ContractFactory
from tests.common.db.scoring import AssessmentFactory, ReplyFactory, availability_lot

D = datetime.date
AS_OF = D(2026, 12, 6)


@pytest.fixture
def lot(db_session: Session) -> Any:
    return availability_lot()


def _clock(db: Session, contract: Any) -> Any:
    (clock,) = clocks(db, Scope(contract_id=contract.id), AS_OF)
    return clock


def test_a_contract_that_ended_before_the_act_is_not_applicable_never_overdue(
    db_session: Session, lot: Any
) -> None:
    before = ContractFactory.create(lot=lot, start_date=D(2020, 1, 1), end_date=D(2025, 2, 23))
    after = ContractFactory.create(lot=lot, start_date=D(2020, 1, 1), end_date=D(2025, 3, 1))
    ended = _clock(db_session, before)
    assert (ended.state, ended.due, ended.due_reason) == (
        "not_applicable",
        None,
        "ended_before_act",
    )
    assert ended.label == "Not applicable" and "24 February 2025" in ended.reason_label
    assert ended.days_overdue(AS_OF) == 0
    running = _clock(db_session, after)
    # Runs past the Act: due 30 days after its end, overdue now.
    assert (running.state, running.due, running.due_reason) == (
        "overdue",
        D(2025, 3, 31),
        "termination",
    )
    record = on_time(db_session, Scope(supplier_id=before.supplier_id), AS_OF)
    assert (record.overdue, record.not_applicable) == (0, 1)


def test_no_clock_runs_from_before_the_act(db_session: Session, lot: Any) -> None:
    old = ContractFactory.create(lot=lot, start_date=D(2015, 1, 1), end_date=None)
    clock = _clock(db_session, old)
    assert clock.due == rules.ACT_IN_FORCE + datetime.timedelta(
        days=rules.PERIOD_DAYS + rules.RECORDING_DAYS
    )
    assert clock.days_overdue(AS_OF) == (AS_OF - clock.due).days < 365


@pytest.mark.parametrize(
    ("unit", "name"),
    [
        ("%", "percent"),
        ("% monthly availability", "percent"),
        (" Percent ", "percent"),
        ("hrs", "hours"),
        ("Working days", "working days"),
        ("days to resolve", "days"),
        ("widgets", "widgets"),
        ("", None),
    ],
)
def test_units_normalise_the_same_in_python_and_sql(
    db_session: Session, unit: str, name: str | None
) -> None:
    assert rules.normalise_unit(unit) == name
    sql = db_session.execute(sa.select(evidence.unit_name(sa.literal(unit)))).scalar_one()
    assert sql == name


def _rated(lot: Any, rating: Rating, value: str, unit: str, obligation_id: int) -> Assessment:
    return AssessmentFactory.create(
        contract=ContractFactory.create(lot=lot),
        obligation_id=obligation_id,
        rating=rating,
        measured_value=Decimal(value),
        unit=unit,
    )


def test_a_good_rating_missing_its_target_in_a_synonym_unit_is_a_contradiction(
    db_session: Session, lot: Any
) -> None:
    target = db_session.execute(sa.text("SELECT id FROM obligations")).scalar_one()
    good = _rated(lot, Rating.good, "99.5", "% monthly availability", obligation_id=target)
    hours = _rated(lot, Rating.good, "99.5", "hours", obligation_id=target)
    found = evidence.contradictions(db_session, [good.id, hours.id])
    assert "misses the target 99.9 %" in found[good.id][0]
    assert hours.id not in found
    unchecked = evidence.not_checked(db_session, [good.id, hours.id])
    assert unchecked == {hours.id: "Not checked: units differ (hours vs %)"}
    (item,) = queue.queue_items(db_session, [hours], AS_OF)
    assert item.check == "Not checked: units differ (hours vs %)"
    assert item.target == queue.Target(Decimal("99.9"), "%", "higher is better")


def test_a_period_that_has_not_ended_is_refused_and_nothing_is_written(
    db_session: Session, lot: Any
) -> None:
    contract = ContractFactory.create(lot=lot)
    today = clock.today()
    data = service.AssessmentInput(
        kpi="Availability",
        period_start=today.replace(day=1),
        period_end=today + datetime.timedelta(days=25),
        rating="Good",
        evidence="Monthly service reports for the whole period",
    )
    with pytest.raises(service.AssessmentError) as refused:
        service.create_for_contract(db_session, contract, data, None)
    fields = dict(refused.value.errors)
    assert "The period must have ended before it is rated" in fields["period_end"]
    assert db_session.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar() == 0


def test_the_reply_window_runs_from_submission(db_session: Session, lot: Any) -> None:
    a = AssessmentFactory.create(
        contract=ContractFactory.create(lot=lot),
        status=AssessmentStatus.draft,
        reply_due=None,
        period_end=D(2025, 6, 30),
    )
    # Even when the caller's "today" lags the submission, the window ends after it.
    service.submit(db_session, a, None, D(2020, 1, 1), 14)
    assert a.submitted_at is not None and a.reply_due is not None
    assert a.reply_due == a.submitted_at.date() + datetime.timedelta(days=14)


def test_the_queue_lists_what_can_be_acted_on_now_first(db_session: Session, lot: Any) -> None:
    def submitted(day: D, reply_due: D) -> Assessment:
        return AssessmentFactory.create(
            contract=ContractFactory.create(lot=lot),
            status=AssessmentStatus.submitted,
            submitted_at=datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC),
            reply_due=reply_due,
        )

    waiting = submitted(D(2026, 11, 30), D(2026, 12, 14))  # oldest, but its window is open
    closed = submitted(D(2026, 12, 1), D(2026, 12, 5))
    replied = submitted(D(2026, 12, 2), D(2026, 12, 16))
    ReplyFactory.create(assessment=replied, supplier_id=replied.supplier_id, text="We disagree")
    rows = list(db_session.execute(queue.queue_select("review", AS_OF)).scalars())
    assert [a.id for a in rows] == [closed.id, replied.id, waiting.id]
    items = {i.assessment.id: i for i in queue.queue_items(db_session, rows, AS_OF)}
    assert items[waiting.id].actionable_from == D(2026, 12, 15)
    assert items[closed.id].actionable and items[replied.id].actionable
    summary = queue.queue_summary(db_session, AS_OF)
    assert (summary.awaiting_review, summary.actionable_now, summary.waiting_on_replies) == (
        3,
        2,
        1,
    )


def test_the_csv_import_refuses_a_period_that_has_not_ended_and_writes_nothing(
    db_session: Session, lot: Any
) -> None:
    from registry.csvimport.services import import_csv

    ContractFactory.create(lot=lot, reference="CSV-ACT-1")
    today = clock.today()
    ended = today - datetime.timedelta(days=1)
    unended = today + datetime.timedelta(days=20)
    text = (
        "contract_reference,kpi,period_start,period_end,rating,evidence\n"
        f"CSV-ACT-1,Help desk,{ended.replace(day=1)},{ended},Good,Monthly reports all on target\n"
        f"CSV-ACT-1,Uptime,{today.replace(day=1)},{unended},Good,Monthly reports all on target\n"
    )
    result = import_csv(db_session, "assessments", text.encode(), "assessments.csv")
    assert not result.ok
    assert any(
        p.startswith("assessments.csv:3: column period_end: The period must have ended")
        for p in result.problems
    ), result.problems
    assert not any(":2:" in p for p in result.problems)
    assert db_session.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar() == 0
