from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import GENESIS_HASH, AuditEvent
from registry.audit.services import event_hash, events_for, record_event, verify_chain


def _record_three(db: Session) -> list[AuditEvent]:
    return [
        record_event(
            db,
            action="framework.created",
            subject_type="framework",
            subject_id=1,
            actor_label="cli",
            after={"reference": "RM6116", "value": 1.5},
        ),
        record_event(
            db,
            action="framework.status_changed",
            subject_type="framework",
            subject_id=1,
            actor_label="cli",
            before={"status": "open"},
            after={"status": "live"},
            reason="award made",
        ),
        record_event(
            db,
            action="supplier.created",
            subject_type="supplier",
            subject_id=7,
            actor_label="cli",
            after={"name": "EMIS Health"},
        ),
    ]


def test_events_chain_each_to_the_one_before(db_session: Session) -> None:
    first, second, third = _record_three(db_session)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert event_hash(second) == second.hash
    report = verify_chain(db_session)
    assert report.intact and report.events == 3


def test_hash_survives_a_round_trip_through_the_database(db_session: Session) -> None:
    _record_three(db_session)
    db_session.commit()
    db_session.expunge_all()
    for event in db_session.execute(sa.select(AuditEvent)).scalars():
        assert event_hash(event) == event.hash


def test_a_changed_field_is_caught(db_session: Session) -> None:
    _record_three(db_session)
    db_session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == 2).values(reason="nothing to see")
    )
    db_session.expire_all()
    report = verify_chain(db_session)
    assert report.problem is not None
    assert report.problem.seq == 2
    assert "contents" in report.problem.message


def test_a_deleted_row_is_caught(db_session: Session) -> None:
    _record_three(db_session)
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 2))
    db_session.expire_all()
    report = verify_chain(db_session)
    assert report.problem is not None and report.problem.seq == 2
    assert "missing" in report.problem.message


def test_a_deleted_last_row_is_caught(db_session: Session) -> None:
    _record_three(db_session)
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 3))
    db_session.expire_all()
    report = verify_chain(db_session)
    assert report.problem is not None and report.problem.seq == 3


def test_reordered_rows_are_caught(db_session: Session) -> None:
    _record_three(db_session)
    # Swap the positions of events 2 and 3, keeping every other column as it was.
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 2).values(seq=-2))
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 3).values(seq=2))
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == -2).values(seq=3))
    db_session.expire_all()
    report = verify_chain(db_session)
    assert report.problem is not None and report.problem.seq == 2


def test_history_of_one_subject(db_session: Session) -> None:
    _record_three(db_session)
    history = events_for(db_session, "framework", 1)
    assert [e.action for e in history] == ["framework.created", "framework.status_changed"]
