"""Flags: a lock-in pattern a detector found on a subject, the numbers behind it, and its lifecycle."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, UTCDateTime, datetime_now, int_pk, utcnow


class FlagStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    dismissed = "dismissed"


# open → acknowledged → resolved | dismissed; an open flag may also be resolved or dismissed
# straight away. Resolved and dismissed are final for people: only the detector reopens a flag
# it resolved itself, when the pattern comes back.
FLAG_TRANSITIONS: dict[FlagStatus, frozenset[FlagStatus]] = {
    FlagStatus.open: frozenset(
        {FlagStatus.acknowledged, FlagStatus.resolved, FlagStatus.dismissed}
    ),
    FlagStatus.acknowledged: frozenset({FlagStatus.resolved, FlagStatus.dismissed}),
    FlagStatus.resolved: frozenset(),
    FlagStatus.dismissed: frozenset(),
}

ACTIVE_STATUSES = frozenset({FlagStatus.open, FlagStatus.acknowledged})


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class SubjectType(enum.StrEnum):
    market = "market"
    buyer_supplier = "buyer-supplier"
    supplier_group = "supplier group"
    framework = "framework"
    contract = "contract"
    buyer_product = "buyer-product"
    lot = "framework lot"
    buyer = "buyer"


CONDITION_CLEARED = "condition cleared"


class Flag(ModelBase):
    __tablename__ = "flags"
    __table_args__ = (sa.UniqueConstraint("detector", "subject_type", "subject_key"),)

    id: Mapped[int_pk]
    detector: Mapped[str] = mapped_column(sa.String(40), index=True, comment="the detector's id")
    subject_type: Mapped[SubjectType]
    subject_key: Mapped[str] = mapped_column(
        sa.String(200), comment="stable key of the subject, e.g. cpv-48814 or 12 (a contract id)"
    )
    subject_label: Mapped[str] = mapped_column(
        sa.String(500), comment="the subject as people say it"
    )
    severity: Mapped[Severity] = mapped_column(index=True)
    status: Mapped[FlagStatus] = mapped_column(index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(comment="the numbers that triggered the flag")
    rule: Mapped[str] = mapped_column(sa.Text, comment="the rule, with its thresholds, when raised")
    thresholds: Mapped[dict[str, Any]] = mapped_column(comment="the thresholds in force")
    source: Mapped[str] = mapped_column(sa.Text, comment="the published rule the detector follows")
    first_detected: Mapped[datetime_now]
    last_detected: Mapped[datetime_now]
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_changed_at: Mapped[datetime.datetime | None]
    resolved_by_detector: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa.false(),
        comment="resolved because the pattern was gone: reopened if it comes back",
    )
    # What the flag is about, so supplier, buyer and framework pages can list their flags.
    market_key: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    buyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier_groups.id"), index=True)
    framework_id: Mapped[int | None] = mapped_column(sa.ForeignKey("frameworks.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)

    changes: Mapped[list[FlagStatusChange]] = relationship(
        back_populates="flag", order_by="FlagStatusChange.id"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def title(self) -> str:
        """The detector's name, with the pattern found when it names one (e.g. duopoly)."""
        from registry.flags.detectors import DETECTORS  # the detectors import these models

        detector = DETECTORS.get(self.detector)
        title = detector.title if detector else self.detector.replace("_", " ").capitalize()
        pattern = (self.metrics or {}).get("pattern")
        return f"{title} ({pattern})" if pattern else title


class FlagGroup(ModelBase):
    """Every supplier group a flag concerns (both of a duopoly, say), so each group's supplier
    pages list it. Derived from the detector's finding and rewritten when that changes."""

    __tablename__ = "flag_groups"

    flag_id: Mapped[int] = mapped_column(sa.ForeignKey("flags.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supplier_groups.id"), primary_key=True, index=True
    )


class FlagStatusChange(ModelBase):
    """Every move of a flag's status, by a person or by the detector."""

    __tablename__ = "flag_status_changes"

    id: Mapped[int_pk]
    flag_id: Mapped[int] = mapped_column(sa.ForeignKey("flags.id"), index=True)
    from_status: Mapped[FlagStatus | None]
    to_status: Mapped[FlagStatus]
    changed_at: Mapped[datetime_now]
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), comment="null when the detector changed it"
    )
    actor_label: Mapped[str] = mapped_column(sa.String(320), comment="e-mail, or 'detector'")
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    flag: Mapped[Flag] = relationship(back_populates="changes")


class CoverageState(enum.StrEnum):
    """What a detector made of one subject: a red-flag list that only lists failures makes
    "not applicable" look like "passed", so every subject it examined is recorded."""

    flagged = "flagged"
    checked = "checked"  # checked — not flagged
    not_applicable = "not applicable"


COVERAGE_LABELS = {
    CoverageState.flagged: "Flagged",
    CoverageState.checked: "Checked — not flagged",
    CoverageState.not_applicable: "Not applicable",
}


class DetectorCoverage(ModelBase):
    """One subject a detector examined in its latest run, and what it found. Derived data: each
    run brings the detector's rows into line with what it examined (new subjects added, changed
    ones updated, subjects gone removed), stamped with the method version that made them. When
    the detector last checked them is its latest run's (DetectorRunRecord.run_at)."""

    __tablename__ = "detector_coverage"
    __table_args__ = (
        # Subject first: a market's page finds what every detector made of it by its subject.
        # Few indexes, as a first run inserts a row per subject examined (migration 0022).
        sa.UniqueConstraint("subject_type", "subject_key", "detector"),
        # One detector's rows, all or of one state (its page, the API).
        sa.Index(None, "detector", "state"),
    )

    id: Mapped[int_pk]
    detector: Mapped[str] = mapped_column(sa.String(40), comment="the detector's id")
    method_version: Mapped[str] = mapped_column(
        sa.String(20), comment="the detector's method version in the run that wrote the row"
    )
    subject_type: Mapped[SubjectType]
    subject_key: Mapped[str] = mapped_column(sa.String(200), comment="as on flags.subject_key")
    subject_label: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[CoverageState]
    reason: Mapped[str | None] = mapped_column(
        sa.Text, comment="why not applicable, or what could not be checked"
    )
    changed_at: Mapped[datetime.datetime] = mapped_column(
        UTCDateTime,
        default=utcnow,
        comment="when the run that last changed the row's state, reason, label or method ran",
    )

    @property
    def state_label(self) -> str:
        return COVERAGE_LABELS[self.state]


class DetectorRunRecord(ModelBase):
    """One run of one detector: when it ran, with which method, and how many subjects it left in
    each state. The latest run's time is when the detector last checked each of its subjects (the
    coverage rows it did not change are not rewritten)."""

    __tablename__ = "detector_runs"
    __table_args__ = (sa.Index(None, "detector", "id"),)

    id: Mapped[int_pk]
    detector: Mapped[str] = mapped_column(sa.String(40), comment="the detector's id")
    method_version: Mapped[str] = mapped_column(sa.String(20))
    run_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime, default=utcnow)
    flagged: Mapped[int] = mapped_column(default=0)
    checked: Mapped[int] = mapped_column(default=0, comment="checked, not flagged")
    not_applicable: Mapped[int] = mapped_column(default=0)
