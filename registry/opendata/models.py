"""What the OCDS importer keeps so that imports are idempotent and auditable."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, datetime_now, int_pk


class ImportedRelease(ModelBase):
    """One OCDS release the registry has taken in: re-importing it is recognised by its hash."""

    __tablename__ = "imported_releases"
    __table_args__ = (sa.UniqueConstraint("ocid", "release_id"),)

    id: Mapped[int_pk]
    ocid: Mapped[str] = mapped_column(sa.String(200), index=True, comment="OCDS ocid")
    release_id: Mapped[str] = mapped_column(sa.String(200), comment="OCDS release id")
    release_date: Mapped[datetime.datetime | None] = mapped_column(comment="the release's date")
    content_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="sha256 of the release's canonical JSON"
    )
    source_file: Mapped[str] = mapped_column(sa.String(300), comment="the file it came from")
    outcome: Mapped[str] = mapped_column(
        sa.String(200), comment="'imported', or why it was skipped"
    )
    batch: Mapped[str] = mapped_column(sa.String(32), comment="the import run that wrote it")
    imported_at: Mapped[datetime_now]
