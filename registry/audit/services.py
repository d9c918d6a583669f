"""Record and verify audit events. Every accountable change calls `record_event`."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from registry.bulk import insert_rows
from registry.db import utcnow

HEAD_ID = 1
EVENTS: sa.Table = AuditEvent.__table__  # type: ignore[assignment]


class Audited(Protocol):
    """A record the trail names by its id."""

    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=Audited)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


# Made once: json.dumps with options builds a new encoder per call, a cost paid per event when a
# detector run appends thousands. The output is the same as json.dumps with these options.
_SAFE = json.JSONEncoder(default=_json_default)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# What an event's hash covers.
HASHED = (
    "seq",
    "created",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "reason",
    "prev_hash",
)


def to_json_safe(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """What is stored is exactly what is hashed: plain JSON types only."""
    if value is None:
        return None
    result: dict[str, Any] = json.loads(_SAFE.encode(value))
    return result


def _timestamp(value: datetime.datetime) -> str:
    # Microsecond precision on both SQLite and PostgreSQL; always UTC.
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    return _hash({name: getattr(event, name) for name in HASHED})


def _hash(fields: Mapping[str, Any]) -> str:
    """The hash of an event's HASHED fields (an event's row, or read from an AuditEvent)."""
    canonical = {name: fields[name] for name in HASHED}
    canonical["created"] = _timestamp(canonical["created"])
    return hashlib.sha256(_CANONICAL.encode(canonical).encode("utf-8")).hexdigest()


def _lock_head(db: Session, count: int = 1) -> AuditChainHead:
    """Reserve the next `count` positions of the chain; the head comes back holding the last."""
    # The UPDATE comes first so the row lock (PostgreSQL) or write lock (SQLite) is held before
    # the last hash is read: two writers can never both extend the same event.
    result = db.execute(
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_seq=AuditChainHead.last_seq + count)
        # The head is re-read below with populate_existing; "evaluate" synchronisation would scan
        # every object in the session on each event (quadratic when many events share a session).
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        db.add(AuditChainHead(id=HEAD_ID, last_seq=count, last_hash=GENESIS_HASH))
        db.flush()
    head = db.execute(
        sa.select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return head


@dataclasses.dataclass(frozen=True)
class Event:
    """One event to append, as `record_event` takes it."""

    action: str
    subject_type: str
    subject_id: str | int
    actor: Any = None
    actor_label: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


def record_event(
    db: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int,
    actor: Any = None,
    actor_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    return record_events(
        db,
        [
            Event(
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                actor=actor,
                actor_label=actor_label,
                before=before,
                after=after,
                reason=reason,
            )
        ],
    )[0]


def record_events(db: Session, events: Sequence[Event]) -> list[AuditEvent]:
    """Append events to the chain in order, inside the caller's transaction: one lock of the
    chain head and one bulk insert for them all (a detector run or an import changes thousands
    of records at once). The events come back detached from the session, as written."""
    return [AuditEvent(**row) for row in append_events(db, events)]


def append_events(db: Session, events: Sequence[Event]) -> list[dict[str, Any]]:
    """record_events for callers that do not need the events back as objects: their rows, as
    written (building an AuditEvent per event costs as much as hashing it)."""
    if not events:
        return []
    head = _lock_head(db, len(events))
    first = head.last_seq - len(events) + 1
    rows = []
    last_hash = head.last_hash
    for seq, spec in enumerate(events, start=first):
        row = _chained(seq, spec, last_hash)
        last_hash = row["hash"]
        rows.append(row)
    head.last_hash = last_hash
    head.updated = rows[-1]["created"]
    db.flush()
    insert_rows(db, EVENTS, rows)
    return rows


def _chained(seq: int, spec: Event, prev_hash: str) -> dict[str, Any]:
    """The row of the event at `seq`, hashed onto `prev_hash`."""
    row = {
        "seq": seq,
        "created": utcnow(),
        "actor_id": getattr(spec.actor, "id", None),
        "actor_label": spec.actor_label or getattr(spec.actor, "email", None) or "system",
        "action": spec.action,
        "subject_type": spec.subject_type,
        "subject_id": str(spec.subject_id),
        "before": to_json_safe(spec.before),
        "after": to_json_safe(spec.after),
        "reason": spec.reason,
        "prev_hash": prev_hash,
    }
    row["hash"] = _hash(row)
    return row


def snapshot_of(*names: str) -> Callable[[Any], dict[str, Any]]:
    """A record's snapshot for its audit events: these of its attributes, by name."""

    def snapshot(record: Any) -> dict[str, Any]:
        return {name: getattr(record, name) for name in names}

    return snapshot


def add_audited(
    db: Session,
    record: R,
    *,
    snapshot: Callable[[R], dict[str, Any]],
    action: str,
    subject_type: str,
    actor: Any,
    actor_label: str | None = None,
) -> R:
    """Add a new record and its "created" event (the flush gives it the id the event names)."""
    db.add(record)
    db.flush()
    record_event(
        db,
        action=action,
        subject_type=subject_type,
        subject_id=record.id,
        actor=actor,
        actor_label=actor_label,
        after=snapshot(record),
    )
    return record


def apply_audited(
    db: Session,
    record: R,
    values: Mapping[str, Any],
    *,
    snapshot: Callable[[R], dict[str, Any]],
    action: str,
    subject_type: str,
    actor: Any,
    changes_only: bool = True,
) -> None:
    """Set `values` on the record and, if that changed its snapshot, record one event.
    With `changes_only`, the event's before and after hold only the fields that changed."""
    before = snapshot(record)
    for key, value in values.items():
        setattr(record, key, value)
    after = snapshot(record)
    if before == after:
        return
    db.flush()
    if changes_only:
        before, after = (
            {k: v for k, v in before.items() if after[k] != v},
            {k: v for k, v in after.items() if before[k] != v},
        )
    record_event(
        db,
        action=action,
        subject_type=subject_type,
        subject_id=record.id,
        actor=actor,
        before=before,
        after=after,
    )


@dataclasses.dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit event {self.seq}: {self.message}"


@dataclasses.dataclass(frozen=True)
class ChainReport:
    events: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(db: Session) -> ChainReport:
    """Walk the chain in order; report the first event that breaks it, if any."""
    result = db.execute(
        sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    )
    try:
        return _walk(db, result.scalars())
    finally:
        result.close()  # a server-side cursor on PostgreSQL: close it even when we stop early


def _walk(db: Session, events: Iterator[AuditEvent]) -> ChainReport:
    expected_seq = 1
    expected_prev = GENESIS_HASH
    for event in events:
        if event.seq != expected_seq:
            problem = ChainProblem(expected_seq, f"missing (the chain jumps to {event.seq})")
            return ChainReport(expected_seq - 1, problem)
        if event.prev_hash != expected_prev:
            problem = ChainProblem(
                event.seq, "does not follow the event before it (removed, reordered or rewritten)"
            )
            return ChainReport(expected_seq - 1, problem)
        if event_hash(event) != event.hash:
            problem = ChainProblem(event.seq, "its contents do not match its hash (changed)")
            return ChainReport(expected_seq - 1, problem)
        expected_prev = event.hash
        expected_seq += 1
    head = db.get(AuditChainHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        problem = ChainProblem(
            last_seq + 1,
            f"missing: the chain head records {head.last_seq} events, found {last_seq}",
        )
        return ChainReport(last_seq, problem)
    return ChainReport(last_seq, None)


def events_for(db: Session, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
    """The history of one record, oldest first."""
    return list(
        db.execute(
            sa.select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
            )
            .order_by(AuditEvent.seq)
        ).scalars()
    )
