"""Coverage, not silence: what each detector made of every subject it examined.

Each run replaces a detector's rows (derived data, so no audit trail is needed for them): its
flagged subjects first, from its findings; then, set-based, every other subject its `coverage`
hook names, as "checked — not flagged" or "not applicable" with the reason.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.flags.detectors.base import Detector, Examined, Finding, RunContext
from registry.flags.models import CoverageState, DetectorCoverage, SubjectType

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


def record_coverage(
    db: Session, detector: Detector, ctx: RunContext, findings: Sequence[Finding]
) -> None:
    """Replace the detector's coverage with this run's: idempotent, whatever ran before."""
    now = utcnow()
    db.execute(sa.delete(DetectorCoverage).where(DetectorCoverage.detector == detector.id))
    stamp = {"detector": detector.id, "method_version": detector.version, "checked_at": now}
    flagged = {
        (f.subject_type.value, f.subject_key): {
            **stamp,
            "subject_type": f.subject_type.value,
            "subject_key": f.subject_key,
            "subject_label": f.subject_label[:500],
            "state": CoverageState.flagged.value,
            "reason": None,
        }
        for f in findings
    }
    if flagged:
        db.execute(sa.insert(DetectorCoverage), list(flagged.values()))
    if detector.coverage is None:
        return
    examined: list[dict[str, Any]] = []
    for source in detector.coverage(ctx):
        if isinstance(source, Examined):
            if (source.subject_type.value, source.subject_key) not in flagged:
                examined.append(_row(stamp, source))
            continue
        _insert_select(db, stamp, source)
    if examined:
        db.execute(sa.insert(DetectorCoverage), examined)
    db.flush()


def _row(stamp: dict[str, Any], subject: Examined) -> dict[str, Any]:
    state = CoverageState.checked if subject.applicable else CoverageState.not_applicable
    return {
        **stamp,
        "subject_type": subject.subject_type.value,
        "subject_key": subject.subject_key,
        "subject_label": subject.subject_label[:500],
        "state": state.value,
        "reason": subject.reason,
    }


def _insert_select(db: Session, stamp: dict[str, Any], select: sa.Select[Any]) -> None:
    """INSERT ... SELECT the subjects not already recorded as flagged."""
    subjects = select.subquery()
    already = sa.exists().where(
        DetectorCoverage.detector == stamp["detector"],
        DetectorCoverage.subject_type == subjects.c.subject_type,
        DetectorCoverage.subject_key == subjects.c.subject_key,
    )
    state = sa.case(
        (subjects.c.applicable == 1, CoverageState.checked.value),
        else_=CoverageState.not_applicable.value,
    )
    rows = sa.select(
        sa.literal(stamp["detector"], sa.String).label("detector"),
        sa.literal(stamp["method_version"], sa.String).label("method_version"),
        subjects.c.subject_type,
        subjects.c.subject_key,
        subjects.c.subject_label,
        state.label("state"),
        subjects.c.reason,
        sa.literal(stamp["checked_at"], DetectorCoverage.checked_at.type).label("checked_at"),
    ).where(~already)
    db.execute(
        sa.insert(DetectorCoverage).from_select(
            [
                "detector",
                "method_version",
                "subject_type",
                "subject_key",
                "subject_label",
                "state",
                "reason",
                "checked_at",
            ],
            rows,
        )
    )


def coverage_counts(db: Session, detector: str | None = None) -> dict[str, CoverageCounts]:
    """Per detector (or for the one named): how many subjects in each state, and the run that
    recorded them."""
    query = sa.select(
        DetectorCoverage.detector,
        DetectorCoverage.state,
        sa.func.count(),
        sa.func.max(DetectorCoverage.method_version),
        sa.func.max(DetectorCoverage.checked_at),
    ).group_by(DetectorCoverage.detector, DetectorCoverage.state)
    if detector is not None:
        query = query.where(DetectorCoverage.detector == detector)
    rows = db.execute(query)
    found: dict[str, dict[str, Any]] = {}
    for detector, state, count, version, when in rows:
        entry = found.setdefault(detector, {"method_version": version, "checked_at": when})
        entry[CoverageState(state).name] = int(count)
    return {detector: CoverageCounts(**values) for detector, values in found.items()}


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
