"""The registry's change records.

`data_version` is one row whose counter moves on every committed write, so a cached public page
can be validated without rendering it. `change_log` names what a write touched, written by the
database's triggers on contracts, suppliers and lots (migration 0033, registry.changes.logged), so
`registry detect` redoes only that work; it deletes the rows it has taken. `score_log` names the
suppliers and frameworks whose assessments changed, for `registry score` alone (migration 0034,
registry.changes.rated): a log of its own, so neither job takes the other's rows. `work_marks` is
unused.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, UTCDateTime, datetime_now, int_pk


class DataVersion(ModelBase):
    __tablename__ = "data_version"

    id: Mapped[int_pk] = mapped_column(comment="always 1: one row")
    version: Mapped[int] = mapped_column(
        sa.BigInteger, default=0, comment="moves on every committed write"
    )
    changed_at: Mapped[datetime_now]


class Change(ModelBase):
    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(
        sa.String(24), comment="what was touched: market, buyer, supplier_group, framework, …"
    )
    subject: Mapped[str] = mapped_column(
        sa.String(100), comment="its key: a record id, or a market key such as cpv-48"
    )
    created: Mapped[datetime_now]


class ScoreChange(ModelBase):
    """A supplier or framework whose assessments changed as the scores read them, written by the
    database's triggers on assessments and contracts (migration 0034)."""

    __tablename__ = "score_log"
    # The triggers log a subject only if it is not there yet: one lookup each.
    __table_args__ = (sa.Index(None, "kind", "subject"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(24), comment="supplier or framework")
    subject: Mapped[int] = mapped_column(
        comment="its id (a framework's -1: assessments on no framework)"
    )


class WorkMark(ModelBase):
    __tablename__ = "work_marks"

    name: Mapped[str] = mapped_column(
        sa.String(32), primary_key=True, comment="the job: detect, score"
    )
    last_change_id: Mapped[int] = mapped_column(
        sa.BigInteger, default=0, comment="the last change_log id the job has taken into account"
    )
    finished_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)


class WorkFingerprint(ModelBase):
    """What a job last saw of each subject: `registry detect` compares these with the data now
    (registry.changes.fingerprints) and redoes only the work whose inputs differ."""

    __tablename__ = "work_fingerprints"

    job: Mapped[str] = mapped_column(sa.String(32), primary_key=True, comment="detect, score")
    kind: Mapped[str] = mapped_column(
        sa.String(24), primary_key=True, comment="market, buyer, group, framework, table, settings"
    )
    subject: Mapped[str] = mapped_column(
        sa.String(100), primary_key=True, comment="its key: a record id, market key or table name"
    )
    fingerprint: Mapped[str] = mapped_column(
        sa.String(200), comment="counts and weighted sums of its rows' values, as text"
    )
