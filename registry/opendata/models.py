"""What the OCDS importer keeps so that imports are idempotent and auditable."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, datetime_now, int_pk


class ImportedRelease(ModelBase):
    """One OCDS release the registry has taken in: re-importing it is recognised by its hash."""

    __tablename__ = "imported_releases"
    # Leads with ocid, so it also answers a lookup by ocid alone (revision 0032).
    __table_args__ = (sa.UniqueConstraint("ocid", "release_id"),)

    id: Mapped[int_pk]
    ocid: Mapped[str] = mapped_column(sa.String(200), comment="OCDS ocid")
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


class ImportOutcome(enum.StrEnum):
    imported = "imported"
    refused = "refused"


class ImportRun(ModelBase):
    """The import ledger (issue 11): one row per import, whether it succeeded or was refused.

    Why: published data silently goes missing; the ledger says, for each file taken in, what the
    registry kept of it, what it skipped and why, and which processes it had before and not now.
    """

    __tablename__ = "import_runs"

    id: Mapped[int_pk]
    kind: Mapped[str] = mapped_column(sa.String(40), comment="'ocds', or 'csv <kind>'")
    source: Mapped[str] = mapped_column(sa.String(300), comment="the file's name")
    via: Mapped[str] = mapped_column(sa.String(40), comment="'command line' or 'upload'")
    publisher: Mapped[str | None] = mapped_column(
        sa.String(300), comment="the package publisher's name, when the file names one"
    )
    source_key: Mapped[str] = mapped_column(
        sa.String(300),
        index=True,
        comment="the ledger groups by it: the publisher, else the file name",
    )
    file_sha256: Mapped[str | None] = mapped_column(sa.String(64), comment="sha256 of the file")
    file_bytes: Mapped[int | None] = mapped_column(sa.BigInteger, comment="the file's size")
    started_at: Mapped[datetime.datetime]
    finished_at: Mapped[datetime.datetime]
    outcome: Mapped[ImportOutcome]
    releases_read: Mapped[int] = mapped_column(default=0, comment="releases (or rows) read")
    records_created: Mapped[int] = mapped_column(default=0, comment="records created")
    records_updated: Mapped[int] = mapped_column(default=0, comment="records updated")
    unchanged: Mapped[int] = mapped_column(
        default=0, comment="releases identical to ones imported before"
    )
    skipped: Mapped[int] = mapped_column(default=0, comment="releases not taken in")
    duplicates: Mapped[int] = mapped_column(default=0, comment="releases repeated in the file")
    out_of_order: Mapped[int] = mapped_column(
        default=0, comment="releases older than one already held for their ocid"
    )
    missing: Mapped[int] = mapped_column(
        default=0, comment="ocids earlier imports of this file from this publisher held, absent now"
    )
    details: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="reasons with examples, missing ocids, problems of a refused file"
    )
    # Transparency indicators (after opentender.eu): of the releases read, how many state each.
    # Null: not measured (a CSV import, a refused file, or an import made before they were).
    with_classification: Mapped[int | None] = mapped_column(
        comment="releases whose tender or items carry a classification",
    )
    with_value: Mapped[int | None] = mapped_column(
        comment="releases with a usable award, contract or tender value",
    )
    with_suppliers: Mapped[int | None] = mapped_column(
        comment="releases naming at least one supplier (the next one's base)",
    )
    with_supplier_identifier: Mapped[int | None] = mapped_column(
        comment="releases whose every named supplier has an identifier",
    )
    with_procurement_method: Mapped[int | None] = mapped_column(
        comment="releases stating tender.procurementMethod"
    )
    with_tender_period: Mapped[int | None] = mapped_column(comment="releases with a tender period")


class ImportRunOcid(ModelBase):
    """The ocids each successful import held: what the next import of the source is checked against."""

    __tablename__ = "import_run_ocids"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("import_runs.id"), primary_key=True)
    ocid: Mapped[str] = mapped_column(sa.String(200), primary_key=True, index=True)


class ImportFinding(ModelBase):
    """A data-quality finding of one import: a rule the file broke, where, how often, an example.

    Why: real publications break the OCDS schema all the time; the import takes what it can and
    says here what it could not use, so a publisher (and a reader of any figure) can see it.
    `path` is the JSON path with array positions left out (`releases[].awards[].value.amount`),
    so one rule broken in every release is one row; `example_where` names one real place."""

    __tablename__ = "import_findings"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("import_runs.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    count: Mapped[int]
    example: Mapped[str] = mapped_column(sa.String(300), default="", comment="a value found")
    example_where: Mapped[str] = mapped_column(
        sa.String(300), default="", comment="one place it was found: JSON path and ocid"
    )
