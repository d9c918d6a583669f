"""Running the detectors into flags (idempotent), the flag lifecycle, and what pages ask of flags."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session

from registry.audit.services import Event, append_events, record_events, to_json_safe
from registry.bulk import insert_rows, insert_with_ids, update_rows
from registry.db import Unindexed, utcnow
from registry.flags import SUBJECT_FLAGS_SHOWN
from registry.flags.coverage import fresh_statistics, has_run, record_coverage
from registry.flags.detectors import DETECTORS, DetectionSettings, Detector, Finding, RunContext
from registry.flags.detectors.base import TEMPORARY_TABLES
from registry.flags.models import (
    ACTIVE_STATUSES,
    CONDITION_CLEARED,
    FLAG_TRANSITIONS,
    CoverageState,
    DetectorCoverage,
    Flag,
    FlagGroup,
    FlagStatus,
    FlagStatusChange,
)
from registry.flags.run_contracts import drop_run_contracts
from registry.flags.scope import Scope
from registry.sql import in_chunks

DETECTOR_LABEL = "detector"
LINK_FIELDS = ("market_key", "buyer_id", "group_id", "framework_id", "contract_id")
BATCH = 500  # ids per IN list
ANALYZE_AFTER = 1000  # new flags
FLAGS: sa.Table = Flag.__table__  # type: ignore[assignment]


@dataclasses.dataclass
class DetectorRun:
    detector: str
    found: int = 0
    raised: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    seconds: float = 0.0
    scoped: bool = False  # rerun for the changed subjects only


class FlagError(Exception):
    """A lifecycle change that is not allowed; the message says why, for the person asking."""


def run_detection(
    db: Session,
    settings: DetectionSettings,
    only: Sequence[str] | None = None,
    cache: dict[Any, Any] | None = None,
    scope: Scope | None = None,
) -> list[DetectorRun]:
    """Run the detectors (all, or those named) and bring their flags into line with what they
    find. `cache`: the run's, given by a caller that reads its temporary tables afterwards (the
    stored market figures read the run's contracts) and then drops them (`drop_run_tables`).
    `scope`: an incremental run's changed subjects, to which the detectors it names that
    declare a scope are limited (registry.flags.scope)."""
    runs = []
    # Shared by the detectors of this run: the window's first year, the market figures, and the
    # run's published contracts (a temporary table, built by the first detector that reads it).
    owned = cache is None
    cache = {} if cache is None else cache
    fresh_statistics(db)
    try:
        if scope is not None:
            cache.setdefault(TEMPORARY_TABLES, []).extend(scope.prepare(db))
        for detector_id in only or list(DETECTORS):
            detector = DETECTORS[detector_id]
            thresholds = settings.thresholds[detector_id]
            started = time.perf_counter()
            # A detector that never ran has nothing outside the scope to keep: it runs in full.
            scoped = (
                scope if scope and scope.applies(detector) and has_run(db, detector.id) else None
            )
            ctx = RunContext(db, thresholds, settings.cpv_depth, cache, scoped, detector.scoped_by)
            findings = list(detector.find(ctx))
            if scoped is not None:  # what it made of subjects outside the scope is discarded
                findings = [
                    f for f in findings if scoped.holds(detector, f.subject_type, f.subject_key)
                ]
            # Coverage first: a flag resolved because its subject is now not applicable is
            # resolved with that reason (e.g. "membership list incomplete").
            record_coverage(db, detector, ctx, findings)
            run = apply_findings(db, detector, thresholds, findings, scoped)
            run.scoped = scoped is not None
            run.seconds = time.perf_counter() - started
            runs.append(run)
    finally:
        if owned:
            drop_run_tables(db, cache)
    return runs


def drop_run_tables(db: Session, cache: dict[Any, Any]) -> None:
    """Drop the temporary tables of a detection run (its contracts, what detectors materialised)."""
    drop_run_contracts(db)
    for name in cache.pop(TEMPORARY_TABLES, []):
        db.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    cache.clear()


SNAPSHOT = ("status", "severity", "metrics", "thresholds", "subject_label")


def _snapshot(flag: Flag | dict[str, Any]) -> dict[str, Any]:
    """What a flag's audit events show of it (a Flag, or a new flag's row before insertion)."""
    if isinstance(flag, dict):
        return {name: flag[name] for name in SNAPSHOT}
    return {name: getattr(flag, name) for name in SNAPSHOT}


def apply_findings(
    db: Session,
    detector: Detector,
    thresholds: dict[str, Any],
    findings: Iterable[Finding],
    scope: Scope | None = None,
) -> DetectorRun:
    """Raise new flags, update changed ones, reopen ones the detector had resolved, and resolve
    active ones whose pattern is gone. A flag people dismissed or resolved keeps that state.
    With a `scope`, only the flags of subjects in it are compared: the others are left as
    they are."""
    run = DetectorRun(detector.id)
    now = utcnow()
    rule = detector.describe(thresholds)
    thresholds = to_json_safe(thresholds) or {}
    query = sa.select(Flag).where(Flag.detector == detector.id)
    if scope is not None:
        query = query.where(scope.where(detector, Flag.subject_type, Flag.subject_key))
    existing = {
        (flag.subject_type.value, flag.subject_key): flag for flag in db.execute(query).scalars()
    }
    linked: dict[int, set[int]] = {}
    # By the ids in hand, not a join on the detector: just after a first run the planner's
    # statistics can still say flags is empty, and PostgreSQL then loops over it per link.
    ids = [flag.id for flag in existing.values()]
    for chunk in in_chunks(ids, BATCH):
        for flag_id, group_id in db.execute(
            sa.select(FlagGroup.flag_id, FlagGroup.group_id).where(FlagGroup.flag_id.in_(chunk))
        ):
            linked.setdefault(flag_id, set()).add(group_id)
    wanted: dict[int, frozenset[int]] = {}
    seen: list[int] = []
    reopened: list[Flag] = []
    raised: list[tuple[dict[str, Any], Finding]] = []
    # Every change is audited, in the order made, with one append to the chain at the end.
    events: list[Event] = []
    for finding in findings:
        run.found += 1
        metrics = to_json_safe(finding.metrics) or {}
        links = {name: getattr(finding, name) for name in LINK_FIELDS}
        flag = existing.pop((finding.subject_type.value, finding.subject_key), None)
        if flag is None:
            raised.append(
                (
                    {
                        "detector": detector.id,
                        "subject_type": finding.subject_type,
                        "subject_key": finding.subject_key,
                        "subject_label": finding.subject_label[:500],
                        "severity": finding.severity,
                        "status": FlagStatus.open,
                        "metrics": metrics,
                        "rule": rule,
                        "thresholds": thresholds,
                        "source": detector.source,
                        "first_detected": now,
                        "last_detected": now,
                        "status_changed_at": now,
                        "resolved_by_detector": False,
                        **links,
                    },
                    finding,
                )
            )
            continue
        seen.append(flag.id)
        wanted[flag.id] = finding.all_group_ids
        if flag.status == FlagStatus.resolved and flag.resolved_by_detector:
            events.append(_move(db, flag, FlagStatus.open, "condition detected again", now, None))
            reopened.append(flag)
            run.reopened += 1
        values = {
            "metrics": metrics,
            "severity": finding.severity,
            "thresholds": thresholds,
            "subject_label": finding.subject_label[:500],
            "rule": rule,
            "source": detector.source,
            **links,
        }
        # Most flags found again are unchanged: compared first, they are not touched.
        if all(getattr(flag, name) == value for name, value in values.items()):
            continue
        before = _snapshot(flag)
        for name, value in values.items():
            setattr(flag, name, value)
        if _snapshot(flag) != before:
            events.append(
                Event(
                    action="flag.updated",
                    subject_type="flag",
                    subject_id=flag.id,
                    actor_label=DETECTOR_LABEL,
                    before=before,
                    after=_snapshot(flag),
                )
            )
            run.updated += 1
    events.extend(_raise(db, detector, raised, wanted, now))
    run.raised = len(raised)
    gone = [flag for flag in existing.values() if flag.status in ACTIVE_STATUSES]
    not_applicable = _not_applicable(db, detector.id, gone)
    for flag in gone:
        reason = not_applicable.get((flag.subject_type.value, flag.subject_key))
        reason = f"not applicable: {reason}" if reason else CONDITION_CLEARED
        events.append(_move(db, flag, FlagStatus.resolved, reason, now, None))
        flag.resolved_by_detector = True
        run.resolved += 1
    append_events(db, events)
    _link_groups(db, linked, wanted)
    _reindex_groups(db, linked, wanted, raised, gone, reopened)
    # When each flag was last seen is bookkeeping, not an accountable change: one bulk update.
    update_rows(db, FLAGS, [{"id": flag_id, "last_detected": now} for flag_id in seen])
    db.flush()
    return run


def _not_applicable(db: Session, detector_id: str, flags: list[Flag]) -> dict[tuple[str, str], str]:
    """Why the detector's latest coverage holds these flags' subjects not applicable, if it does."""
    found: dict[tuple[str, str], str] = {}
    keys = [flag.subject_key for flag in flags]
    for chunk in in_chunks(keys, BATCH):
        for subject_type, key, reason in db.execute(
            sa.select(
                DetectorCoverage.subject_type,
                DetectorCoverage.subject_key,
                DetectorCoverage.reason,
            ).where(
                DetectorCoverage.detector == detector_id,
                DetectorCoverage.state == CoverageState.not_applicable,
                DetectorCoverage.subject_key.in_(chunk),
            )
        ):
            found[(subject_type.value, key)] = reason or ""
    return found


def _raise(
    db: Session,
    detector: Detector,
    raised: list[tuple[dict[str, Any], Finding]],
    wanted: dict[int, frozenset[int]],
    now: Any,
) -> list[Event]:
    """Insert the new flags and their history in bulk (a first run at national scale raises tens
    of thousands, too many for the ORM's per-object work); their audit events, in order."""
    ids = insert_with_ids(db, FLAGS, [row for row, _finding in raised])
    if len(ids) > ANALYZE_AFTER and db.get_bind().dialect.name == "postgresql":
        # The foreign keys to flags are checked by a plan PostgreSQL made when an earlier detector
        # of the run inserted its first few flags: a scan of flags, which was then tiny, repeated
        # for each new row that names a flag (42 of 54 s at national scale). ANALYZE replans it.
        db.execute(sa.text("ANALYZE flags"))
    insert_rows(
        db,
        FlagStatusChange.__table__,  # type: ignore[arg-type]
        [_history_row(flag_id, None, FlagStatus.open, "detected", now) for flag_id in ids],
    )
    events = []
    for flag_id, (row, finding) in zip(ids, raised, strict=True):
        wanted[flag_id] = finding.all_group_ids
        events.append(
            Event(
                action="flag.raised",
                subject_type="flag",
                subject_id=flag_id,
                actor_label=DETECTOR_LABEL,
                after={"detector": detector.id, "subject": row["subject_key"], **_snapshot(row)},
            )
        )
    return events


def _reindex_groups(
    db: Session,
    linked: dict[int, set[int]],
    wanted: dict[int, frozenset[int]],
    raised: list[tuple[dict[str, Any], Finding]],
    moved: list[Flag],
    reopened: list[Flag],
) -> None:
    """Name the groups whose open flags changed (raised, resolved, reopened, linked or unlinked)
    for the search index: their suppliers' open-flags facet is rewritten after the commit, not
    the whole index rebuilt for the bulk writes (116 of 174 s at 21,800 contracts)."""
    # Imported here: the search documents read this module's open_flag_links.
    from registry.search.services import changed

    groups: set[int] = set()
    for _row, finding in raised:
        groups |= finding.all_group_ids
    for flag in [*moved, *reopened]:
        groups |= linked.get(flag.id, set()) | wanted.get(flag.id, frozenset())
        if flag.group_id is not None:
            groups.add(flag.group_id)
    for flag_id, now in wanted.items():
        groups |= now ^ linked.get(flag_id, set())
    changed(db, "group", groups)


def _link_groups(
    db: Session, linked: dict[int, set[int]], wanted: dict[int, frozenset[int]]
) -> None:
    """Bring flag_groups into line with the findings: an index of who each flag concerns."""
    from registry.search.services import NAMED  # see _reindex_groups

    add = [
        {"flag_id": flag_id, "group_id": group_id}
        for flag_id, groups in wanted.items()
        for group_id in groups - linked.get(flag_id, set())
    ]
    insert_rows(db, FlagGroup.__table__, add)  # type: ignore[arg-type]
    for flag_id, groups in wanted.items():
        gone = linked.get(flag_id, set()) - groups
        if gone:
            db.execute(
                sa.delete(FlagGroup).where(
                    FlagGroup.flag_id == flag_id, FlagGroup.group_id.in_(gone)
                ),
                execution_options={NAMED: True},  # the groups are named by _reindex_groups
            )


def _history(
    db: Session,
    flag: Flag,
    from_status: FlagStatus | None,
    to_status: FlagStatus,
    reason: str,
    when: Any,
    actor: Any = None,
) -> None:
    db.add(FlagStatusChange(**_history_row(flag.id, from_status, to_status, reason, when, actor)))


def _history_row(
    flag_id: int,
    from_status: FlagStatus | None,
    to_status: FlagStatus,
    reason: str,
    when: Any,
    actor: Any = None,
) -> dict[str, Any]:
    """A flag's status change, as a row: by its actor, or by the detector when none."""
    return {
        "flag_id": flag_id,
        "from_status": from_status,
        "to_status": to_status,
        "changed_at": when,
        "actor_id": getattr(actor, "id", None),
        "actor_label": getattr(actor, "email", None) or DETECTOR_LABEL,
        "reason": reason,
    }


def _move(
    db: Session, flag: Flag, to_status: FlagStatus, reason: str, when: Any, actor: Any
) -> Event:
    """Move the flag and record its history; the audit event is returned for the caller to
    append (a detector run appends all of its events at once)."""
    before = _snapshot(flag)
    from_status = flag.status
    flag.status = to_status
    flag.status_reason = reason
    flag.status_changed_at = when
    flag.resolved_by_detector = False
    _history(db, flag, from_status, to_status, reason, when, actor)
    return Event(
        action=f"flag.{'reopened' if from_status == FlagStatus.resolved else to_status.value}",
        subject_type="flag",
        subject_id=flag.id,
        actor=actor,
        actor_label=None if actor is not None else DETECTOR_LABEL,
        before=before,
        after=_snapshot(flag),
        reason=reason,
    )


def change_status(
    db: Session, flag: Flag, to_status: FlagStatus, *, actor: Any, reason: str
) -> None:
    """An auditor moves a flag on: open → acknowledged → resolved | dismissed, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise FlagError("Enter the reason for the change")
    if to_status not in FLAG_TRANSITIONS[flag.status]:
        raise FlagError(f"A flag that is {flag.status} cannot be marked {to_status}")
    record_events(db, [_move(db, flag, to_status, reason, utcnow(), actor)])


def allowed_moves(flag: Flag) -> list[FlagStatus]:
    return sorted(FLAG_TRANSITIONS[flag.status], key=list(FlagStatus).index)


def flags_for(
    db: Session,
    *,
    group_id: int | None = None,
    buyer_id: int | None = None,
    framework_id: int | None = None,
    active_only: bool = False,
    limit: int = 100,
) -> list[Flag]:
    """The flags about a supplier group, a buyer or a framework: active first, then newest."""
    conditions: list[sa.ColumnElement[bool]] = []
    if group_id is not None:
        conditions.append(
            Flag.id.in_(sa.select(FlagGroup.flag_id).where(FlagGroup.group_id == group_id))
        )
    if buyer_id is not None:
        conditions.append(Flag.buyer_id == buyer_id)
    if framework_id is not None:
        conditions.append(Flag.framework_id == framework_id)
    if not conditions:
        return []
    query = sa.select(Flag).where(sa.or_(*conditions))
    if active_only:
        query = query.where(active_flags_where())
    active_first = sa.case((Flag.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return list(
        db.execute(
            query.order_by(active_first, Flag.last_detected.desc(), Flag.id).limit(limit)
        ).scalars()
    )


def active_flags_where(detector_id: str | None = None) -> sa.ColumnElement[bool]:
    """The flags still standing (open or acknowledged), only one detector's if given: what
    `registry detect` lists, and counts without loading them."""
    condition = Flag.status.in_(ACTIVE_STATUSES)
    if detector_id:
        return sa.and_(condition, Flag.detector == detector_id)
    return condition


def active_flags(db: Session, detector_id: str | None = None) -> list[Flag]:
    query = sa.select(Flag).where(active_flags_where(detector_id))
    return list(
        db.execute(query.order_by(Flag.detector, Flag.subject_type, Flag.subject_key)).scalars()
    )


def as_json(flag: Flag) -> dict[str, Any]:
    """The shape `registry detect --json` prints (../shared/DESIGN.md, "Interfaces")."""
    return {
        "detector": flag.detector,
        "subject_type": str(flag.subject_type),
        "subject": flag.subject_key,
        "subject_label": flag.subject_label,
        "severity": str(flag.severity),
        "status": str(flag.status),
        "id": flag.id,
        "metrics": flag.metrics,
    }


def open_flag_links(group_ids: Iterable[int] | sa.Select[Any]) -> sa.Select[Any]:
    """(group id, flag id) of the open flags about these supplier groups (or those a SELECT
    gives): every group a flag concerns through flag_groups (both of a duopoly), and a flag's
    own group."""
    ids = group_ids if isinstance(group_ids, sa.Select) else list(group_ids)
    # Nearly every flag is open: the status index must not lead (on SQLite without statistics
    # of flags it did, every open flag probed for a search index update's thousand groups: 3 s).
    active = Unindexed(Flag.status).in_(ACTIVE_STATUSES)
    linked = (
        sa.select(FlagGroup.group_id, FlagGroup.flag_id)
        .join(Flag, Flag.id == FlagGroup.flag_id)
        .where(FlagGroup.group_id.in_(ids), active)
    )
    own = sa.select(Flag.group_id, Flag.id).where(Flag.group_id.in_(ids), active)
    return sa.select(linked.union(own).subquery())


@dataclasses.dataclass
class SubjectFlags:
    shown: list[Any]
    more: bool  # more than those shown: the page links to /flags filtered by the subject


def subject_flags(request: Request, **subject: Any) -> SubjectFlags:
    """The flags about a supplier group, buyer or framework, for the partial
    templates/flags/_subject_flags.html that their pages include."""
    found = flags_for(request.db, **subject, limit=SUBJECT_FLAGS_SHOWN + 1)
    return SubjectFlags(found[:SUBJECT_FLAGS_SHOWN], len(found) > SUBJECT_FLAGS_SHOWN)
