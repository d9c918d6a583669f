"""Coverage, not silence: what each detector made of every subject it examined.

Each run stages what the detector examined in a temporary table (its flagged subjects first, from
its findings; then, set-based, every other subject its `coverage` hook names, as "checked — not
flagged" or "not applicable" with the reason) and applies only the difference to the rows kept
from earlier runs (derived data, so no audit trail is needed for them). When the subjects were
checked is the detector's latest run (detector_runs), so unchanged rows are never rewritten.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.bulk import insert_rows
from registry.db import utcnow
from registry.flags.detectors.base import Detector, Examined, Finding, RunContext
from registry.flags.models import CoverageState, DetectorCoverage, DetectorRunRecord, SubjectType
from registry.flags.scope import Scope

NOT_DECLARED = "This detector does not report the subjects it checked: only its flags are listed."


@dataclasses.dataclass(frozen=True)
class CoverageCounts:
    flagged: int = 0
    checked: int = 0
    not_applicable: int = 0
    method_version: str | None = None
    checked_at: datetime.datetime | None = None

    @property
    def total(self) -> int:
        return self.flagged + self.checked + self.not_applicable

    def as_json(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "checked_not_flagged": self.checked,
            "not_applicable": self.not_applicable,
            "method_version": self.method_version,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


# This run's coverage of one detector, before it is compared with the rows kept from earlier runs.
# A temporary table: private to the connection, never logged, dropped after each detector. Its
# unique index is built once the rows are in: a sort then costs a fraction of inserting hundreds of
# thousands of subjects one by one into a B-tree.
STAGE = sa.Table(
    "coverage_stage",
    sa.MetaData(),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_key", sa.String(200), nullable=False),
    sa.Column("subject_label", sa.String(500), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
    prefixes=["TEMPORARY"],
)
STAGE_KEY = sa.text(
    "CREATE UNIQUE INDEX coverage_stage_subject ON coverage_stage (subject_type, subject_key)"
)
# The detector's flagged subjects, for the coverage selects to leave out: a few, indexed.
FLAGGED = sa.Table(
    "coverage_flagged",
    sa.MetaData(),
    sa.Column("subject_type", sa.String(32), primary_key=True),
    sa.Column("subject_key", sa.String(200), primary_key=True),
    prefixes=["TEMPORARY"],
)


def record_coverage(
    db: Session, detector: Detector, ctx: RunContext, findings: Sequence[Finding]
) -> DetectorRunRecord:
    """Bring the detector's coverage into line with this run's, whatever ran before: subjects new
    to it are added, those whose state, reason, label or method version changed are updated, and
    those it no longer examined are removed (coverage is derived, not an accountable record).
    Rows that did not change are not rewritten: the run record says when they were checked."""
    now = utcnow()
    # A first run has nothing to compare with: the subjects its coverage selects name go
    # straight into detector_coverage (only its flagged and in-memory subjects pass the stage).
    first = not has_run(db, detector.id)
    _drop_stage(db)
    STAGE.create(db.connection())
    FLAGGED.create(db.connection())
    try:
        _stage(db, detector, ctx, findings, (detector, now) if first else None)
        if first:
            db.execute(sa.insert(DetectorCoverage).from_select(INSERTED, _new_rows(detector, now)))
            counts = _kept_counts(db, detector)
        else:
            in_scope = _outside_discarded(db, detector, ctx.scope)
            db.execute(STAGE_KEY)  # which also refuses a subject staged twice
            if db.get_bind().dialect.name == "postgresql":
                # Without statistics the planner reckons the stage's rows from its size, far
                # too few, and probes detector_coverage's index once per subject instead of
                # hashing. A small sample is enough for the row count.
                db.execute(sa.text("SET LOCAL default_statistics_target = 10"))
                db.execute(sa.text("ANALYZE coverage_stage"))
                db.execute(sa.text("SET LOCAL default_statistics_target TO DEFAULT"))
            replaced = _apply(db, detector, now, in_scope)
            staged = sa.select(STAGE.c.state, sa.func.count()).group_by(STAGE.c.state)
            counts = _counts(db, staged)
            if in_scope is not None:  # every subject's: those outside the scope kept theirs
                counts = _rest_kept(db, detector, replaced, counts)
    finally:
        _drop_stage(db)
    run = DetectorRunRecord(
        detector=detector.id,
        method_version=detector.version,
        run_at=now,
        flagged=int(counts.get(CoverageState.flagged.value, 0)),
        checked=int(counts.get(CoverageState.checked.value, 0)),
        not_applicable=int(counts.get(CoverageState.not_applicable.value, 0)),
    )
    db.add(run)
    db.flush()
    return run


def _counts(db: Session, query: Any) -> dict[str, int]:
    """Subjects per state (its value), from a query of (state, count) rows."""
    return {str(getattr(state, "value", state)): int(count) for state, count in db.execute(query)}


def _kept_counts(db: Session, detector: Detector) -> dict[str, int]:
    kept = DetectorCoverage
    states = sa.select(kept.state, sa.func.count()).where(kept.detector == detector.id)
    return _counts(db, states.group_by(kept.state))


def _rest_kept(
    db: Session, detector: Detector, replaced: dict[str, int], staged: dict[str, int]
) -> dict[str, int]:
    """A scoped rerun's counts of every subject: the last run's (which counted every row the
    detector had), less those of the rows in scope it replaced, plus those it staged; rather
    than a count of all the detector's rows (hundreds of thousands) each run."""
    last = db.execute(
        sa.select(DetectorRunRecord)
        .where(DetectorRunRecord.detector == detector.id)
        .order_by(DetectorRunRecord.id.desc())
        .limit(1)
    ).scalar_one()
    before = {
        CoverageState.flagged.value: last.flagged,
        CoverageState.checked.value: last.checked,
        CoverageState.not_applicable.value: last.not_applicable,
    }
    return {
        state: count - replaced.get(state, 0) + staged.get(state, 0)
        for state, count in before.items()
    }


def _outside_discarded(
    db: Session, detector: Detector, scope: Scope | None
) -> sa.ColumnElement[bool] | None:
    """For a scoped rerun: what it made of subjects outside its scope dropped from the stage;
    the condition on the detector's kept rows that are in it (None: not scoped)."""
    if scope is None:
        return None
    in_scope = scope.where(detector, STAGE.c.subject_type, STAGE.c.subject_key)
    db.execute(sa.delete(STAGE).where(~in_scope))
    return scope.where(detector, DetectorCoverage.subject_type, DetectorCoverage.subject_key)


def _drop_stage(db: Session) -> None:
    for table in (STAGE, FLAGGED):
        db.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


Direct = tuple[Detector, datetime.datetime] | None


def _stage(
    db: Session, detector: Detector, ctx: RunContext, findings: Sequence[Finding], direct: Direct
) -> None:
    """This run's coverage into the stage: its flagged subjects first, from its findings; then,
    set-based, every other subject its `coverage` hook names (`direct`: the subjects its
    selects name into detector_coverage, as that detector's rows of that time)."""
    flagged = {
        (f.subject_type.value, f.subject_key): {
            "subject_type": f.subject_type.value,
            "subject_key": f.subject_key,
            "subject_label": f.subject_label[:500],
            "state": CoverageState.flagged.value,
            "reason": None,
        }
        for f in findings
    }
    if flagged:
        # COPY on PostgreSQL: a first run stages tens of thousands of flagged subjects.
        insert_rows(db, STAGE, list(flagged.values()))
        insert_rows(db, FLAGGED, [{"subject_type": t, "subject_key": k} for t, k in flagged])
    if detector.coverage is None:
        return
    examined: list[dict[str, Any]] = []
    for source in detector.coverage(ctx):
        if isinstance(source, Examined):
            if (source.subject_type.value, source.subject_key) not in flagged:
                examined.append(_row(source))
            continue
        _insert_select(db, source, direct)
    insert_rows(db, STAGE, examined)


def _row(subject: Examined) -> dict[str, Any]:
    state = CoverageState.checked if subject.applicable else CoverageState.not_applicable
    return {
        "subject_type": subject.subject_type.value,
        "subject_key": subject.subject_key,
        "subject_label": subject.subject_label[:500],
        "state": state.value,
        "reason": subject.reason,
    }


def _insert_select(db: Session, select: sa.Select[Any], direct: Direct) -> None:
    """INSERT ... SELECT the subjects not already staged as flagged, into the stage (or, with
    `direct`, into detector_coverage)."""
    subjects = select.subquery()
    already = sa.exists().where(
        FLAGGED.c.subject_type == subjects.c.subject_type,
        FLAGGED.c.subject_key == subjects.c.subject_key,
    )
    state = sa.case(
        (subjects.c.applicable == 1, CoverageState.checked.value),
        else_=CoverageState.not_applicable.value,
    )
    columns = [
        subjects.c.subject_type,
        subjects.c.subject_key,
        subjects.c.subject_label,
        state.label("state"),
        subjects.c.reason,
    ]
    if direct is None:
        rows = sa.select(*columns).where(~already)
        db.execute(sa.insert(STAGE).from_select([c.name for c in STAGE.columns], rows))
        return
    detector, now = direct
    rows = sa.select(*_kept_columns(detector, now, columns)).where(~already)
    db.execute(sa.insert(DetectorCoverage).from_select(INSERTED, _in_key_order(rows)))


def has_run(db: Session, detector: str) -> bool:
    """Whether the detector has run before (so may have coverage rows to compare with)."""
    return (
        db.execute(
            sa.select(DetectorRunRecord.id).where(DetectorRunRecord.detector == detector).limit(1)
        ).first()
        is not None
    )


INSERTED = [
    "detector",
    "method_version",
    "subject_type",
    "subject_key",
    "subject_label",
    "state",
    "reason",
    "changed_at",
]


def _kept_columns(detector: Detector, now: datetime.datetime, subject: Sequence[Any]) -> list[Any]:
    """The INSERTED columns of detector_coverage rows: the detector's and the run's, around the
    five of the subject (type, key, label, state, reason)."""
    return [
        sa.literal(detector.id, sa.String).label("detector"),
        sa.literal(detector.version, sa.String).label("method_version"),
        *subject,
        sa.literal(now, DetectorCoverage.changed_at.type).label("changed_at"),
    ]


def _new_rows(detector: Detector, now: datetime.datetime) -> sa.Select[Any]:
    return _in_key_order(sa.select(*_kept_columns(detector, now, list(STAGE.columns))))


def _in_key_order(rows: sa.Select[Any]) -> sa.Select[Any]:
    """Rows for detector_coverage in the order of its unique key (subject first): its index then
    grows at one end instead of at random pages, which makes a first run's bulk insert of
    hundreds of thousands of subjects much cheaper than the sort."""
    return rows.order_by(sa.literal_column("subject_type"), sa.literal_column("subject_key"))


def fresh_statistics(db: Session) -> None:
    """On PostgreSQL, ANALYZE detector_coverage when the planner's idea of its size is far from
    what the latest runs left in it (as after a first run, before autovacuum gets to it): planned
    on statistics from an empty table, the comparisons probe its index once per subject."""
    if db.get_bind().dialect.name != "postgresql":
        return
    runs = latest_runs().subquery()
    rows = db.execute(
        sa.select(sa.func.sum(runs.c.flagged + runs.c.checked + runs.c.not_applicable))
    ).scalar()
    believed = db.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = 'detector_coverage'::regclass")
    ).scalar()
    if rows and rows > 1000 and not rows / 2 <= (believed or 0) <= rows * 2:
        db.execute(sa.text("ANALYZE detector_coverage"))


def _apply(
    db: Session,
    detector: Detector,
    now: datetime.datetime,
    in_scope: sa.ColumnElement[bool] | None = None,
) -> dict[str, int]:
    """The difference between the stage and the detector's rows (those `in_scope`, for a
    scoped rerun): measured first in one join, then applied by only the statements it needs
    (usually none: nothing changed). Returns, for a scoped rerun, how many of the rows in scope
    there were, per state."""
    kept = DetectorCoverage
    mine = kept.detector == detector.id
    if in_scope is not None:
        mine = sa.and_(mine, in_scope)
    version = detector.version
    same_subject = sa.and_(
        STAGE.c.subject_type == kept.subject_type, STAGE.c.subject_key == kept.subject_key
    )
    changed = sa.or_(
        kept.state != STAGE.c.state,
        kept.reason.is_distinct_from(STAGE.c.reason),
        kept.subject_label != STAGE.c.subject_label,
        kept.method_version != version,
    )
    # Subjects are unique on both sides: those matched, of them those changed; the rest of the
    # kept rows are gone, the rest of the staged ones new.
    matched, changes = db.execute(
        sa.select(sa.func.count(), sa.func.count(sa.case((changed, 1))))
        .select_from(STAGE)
        .join(kept, sa.and_(kept.detector == detector.id, same_subject))
    ).one()
    count = sa.select(sa.func.count())
    replaced: dict[str, int] = {}  # per state, for a scoped rerun's counts (_rest_kept)
    if in_scope is None:
        kept_rows = db.execute(count.select_from(kept).where(mine)).scalar()
    else:
        states = sa.select(kept.state, sa.func.count()).where(mine).group_by(kept.state)
        replaced = _counts(db, states)
        kept_rows = sum(replaced.values())
    staged = db.execute(count.select_from(STAGE)).scalar()
    if kept_rows != matched:
        db.execute(
            sa.delete(kept)
            .where(mine, ~sa.exists().where(same_subject))
            .execution_options(synchronize_session=False)
        )
    if changes:
        db.execute(
            sa.update(kept)
            .where(kept.detector == detector.id, same_subject, changed)
            .values(
                state=STAGE.c.state,
                reason=STAGE.c.reason,
                subject_label=STAGE.c.subject_label,
                method_version=version,
                changed_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    if staged != matched:
        new = _new_rows(detector, now).where(
            ~sa.exists().where(kept.detector == detector.id, same_subject)
        )
        db.execute(sa.insert(kept).from_select(INSERTED, new))
    return replaced


def latest_runs() -> sa.Select[Any]:
    """Each detector's latest run."""
    latest = sa.select(sa.func.max(DetectorRunRecord.id)).group_by(DetectorRunRecord.detector)
    return sa.select(DetectorRunRecord).where(DetectorRunRecord.id.in_(latest))


def checked_at() -> sa.ScalarSelect[Any]:
    """When the detector of the coverage row in the enclosing query last ran (for the CSV)."""
    return (
        sa.select(DetectorRunRecord.run_at)
        .where(DetectorRunRecord.detector == DetectorCoverage.detector)
        .order_by(DetectorRunRecord.id.desc())
        .limit(1)
        .correlate(DetectorCoverage)
        .scalar_subquery()
    )


def coverage_counts(db: Session, detector: str | None = None) -> dict[str, CoverageCounts]:
    """Per detector (or for the one named): how many subjects in each state, and the run that
    recorded them (its latest)."""
    query = latest_runs()
    if detector is not None:
        query = query.where(DetectorRunRecord.detector == detector)
    return {
        run.detector: CoverageCounts(
            flagged=run.flagged,
            checked=run.checked,
            not_applicable=run.not_applicable,
            method_version=run.method_version,
            checked_at=run.run_at,
        )
        for run in db.execute(query).scalars()
    }


def coverage_query(detector_id: str, state: CoverageState | None = None) -> sa.Select[Any]:
    """The detector's subjects (a state's only, if given), flagged first, then by label."""
    query = sa.select(DetectorCoverage).where(DetectorCoverage.detector == detector_id)
    if state is not None:
        query = query.where(DetectorCoverage.state == state)
    order = sa.case(
        (DetectorCoverage.state == CoverageState.flagged, 0),
        (DetectorCoverage.state == CoverageState.checked, 1),
        else_=2,
    )
    return query.order_by(order, DetectorCoverage.subject_label, DetectorCoverage.id)


def coverage_of(db: Session, detector_id: str, subject_type: str, key: str) -> Any:
    """One subject's coverage row for a detector, or None."""
    return db.execute(
        sa.select(DetectorCoverage).where(
            DetectorCoverage.detector == detector_id,
            DetectorCoverage.subject_type == subject_type,
            DetectorCoverage.subject_key == key,
        )
    ).scalar_one_or_none()


def market_coverage(db: Session, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """What each market detector made of each of these markets: one query, for the API."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not keys:
        return found
    rows = db.execute(
        sa.select(DetectorCoverage)
        .where(
            DetectorCoverage.subject_type == SubjectType.market,
            DetectorCoverage.subject_key.in_(keys),
        )
        .order_by(DetectorCoverage.detector)
    ).scalars()
    for row in rows:
        found.setdefault(row.subject_key, []).append(
            {"detector": row.detector, "state": row.state.value, "reason": row.reason}
        )
    return found
