from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import GENESIS_HASH, AuditEvent
from registry.audit.services import (
    Event,
    append_events,
    event_hash,
    events_for,
    record_event,
    verify_chain,
)
from registry.flags.models import Severity


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


def test_bulk_appended_events_hash_as_the_canonical_json_always_has(db_session: Session) -> None:
    """append_events hashes rows with encoders made once: the bytes hashed must stay those of
    the chain's canonical form (sorted keys, no spaces, UTF-8), or older chains stop verifying."""
    rows = append_events(
        db_session,
        [
            Event(
                action="flag.raised",
                subject_type="flag",
                subject_id=n,
                actor_label="detector",
                before={"status": Severity.low} if n else None,
                after={"b": Decimal("1.50"), "a": [n, 0.1], "name": "Café — Ltd", "z": {2, 1}},
            )
            for n in range(3)
        ],
    )
    db_session.commit()
    db_session.expunge_all()
    stored = list(db_session.execute(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    assert [e.hash for e in stored] == [row["hash"] for row in rows]
    assert stored[1].before == {"status": "low"}
    assert stored[1].after == {"b": "1.50", "a": [1, 0.1], "name": "Café — Ltd", "z": [1, 2]}
    prev = GENESIS_HASH
    for event in stored:
        canonical = json.dumps(
            {
                "seq": event.seq,
                "created": event.created.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "actor_id": event.actor_id,
                "actor_label": event.actor_label,
                "action": event.action,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "before": event.before,
                "after": event.after,
                "reason": event.reason,
                "prev_hash": prev,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert event.hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        prev = event.hash
    assert verify_chain(db_session).intact
