"""The import ledger (issue 11): what each import read, kept, skipped and left out, and why.

Every import (command line or upload, OCDS or CSV) leaves one `ImportRun`. A good file's entry is
written in the import's own savepoint, so the two stand or fall together; a refused file's entry
is written by the caller *after* rolling the import back, in a transaction of its own, so it
holds the reasons and nothing else. The ocids of each good import are kept (`ImportRunOcid`) so
the next import of the same file from the same publisher can say which processes it held before and not now: published
data that silently goes missing is what users of procurement data distrust most.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from registry.bulk import among, insert_rows
from registry.db import utcnow
from registry.opendata.models import ImportFinding, ImportOutcome, ImportRun, ImportRunOcid
from registry.opendata.quality import run_indicators
from registry.opendata.strings import text

if TYPE_CHECKING:
    from registry.opendata.checking import ImportSummary
    from registry.opendata.findings import FindingLog

VIA_CLI = "command line"
VIA_UPLOAD = "upload"
MISSING_SHOWN = 100  # missing ocids listed in an entry; the count is always complete
PROBLEMS_SHOWN = 50
# The importer's names for a release it skipped as out of order, and for one repeated in a file.
OLDER = "older than a release already imported"
REPEATED = "repeated in the file"


@dataclasses.dataclass(frozen=True)
class Source:
    """The file an import read, fixed before reading it: its name, hash, size and start time."""

    name: str
    via: str
    kind: str
    sha256: str | None
    size: int | None
    started_at: datetime.datetime


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def describe(path: Path | None, name: str, *, via: str, kind: str = "ocds") -> Source:
    started = utcnow()
    sha256, size = file_sha256(path) if path is not None and path.is_file() else (None, None)
    return Source(name[:300], via, kind, sha256, size, started)


class PublisherCounter:
    """Called with each package's metadata as the file is read: counts the publishers' names."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self, package: dict[str, Any]) -> None:
        publisher = package.get("publisher")
        name = publisher.get("name") if isinstance(publisher, dict) else None
        # Cleaned as any text the file gives (no NUL, no lone surrogate): PostgreSQL refuses them.
        if isinstance(name, str) and (cleaned := text(name, 300)):
            self.counts[cleaned] += 1


def source_key(
    kind: str, name: str, publishers: collections.Counter[str]
) -> tuple[str | None, str]:
    """(publisher, key): the key groups the ledger by publisher, or by file when there is none.

    One publisher across the file: that publisher. None or several (UK Contracts Finder 2015
    names each notice's author): the file's name.
    """
    if len(publishers) == 1:
        publisher = next(iter(publishers))
        return publisher, f"{kind}: {publisher}"[:300]
    return None, f"{kind} file: {name}"[:300]


def _publisher_list(publishers: collections.Counter[str]) -> list[dict[str, Any]]:
    return [{"name": n, "packages": c} for n, c in publishers.most_common(20)]


def _add_run(
    db: Session,
    source: Source,
    outcome: ImportOutcome,
    details: dict[str, Any],
    publishers: collections.Counter[str] | None = None,
    **counts: int,
) -> ImportRun:
    publishers = publishers or collections.Counter()
    publisher, key = source_key(source.kind, source.name, publishers)
    run = ImportRun(
        kind=source.kind,
        source=source.name,
        via=source.via,
        publisher=publisher,
        source_key=key,
        file_sha256=source.sha256,
        file_bytes=source.size,
        started_at=source.started_at,
        finished_at=utcnow(),
        outcome=outcome,
        details={**details, "publishers": _publisher_list(publishers)},
        **counts,
    )
    db.add(run)
    db.flush()
    return run


def open_run(db: Session, source: Source) -> ImportRun:
    """The entry of an import about to be written (in the import's savepoint): flushed for its id.
    Its publishers are known, and filled in by close_run, once the file has been read."""
    return _add_run(db, source, ImportOutcome.imported, {})


def note_ocids(db: Session, run_id: int, ocids: set[str]) -> None:
    """Keep the ocids this import holds: one bulk insert per chunk, skipping those already kept."""
    if not ocids:
        return
    kept = set(
        db.execute(
            sa.select(ImportRunOcid.ocid).where(
                ImportRunOcid.run_id == run_id, among(db, ImportRunOcid.ocid, ocids)
            )
        ).scalars()
    )
    rows = [{"run_id": run_id, "ocid": o} for o in sorted(ocids - kept)]
    insert_rows(db, ImportRunOcid.__table__, rows)  # type: ignore[arg-type]


def _missing_query(run: ImportRun) -> sa.Select[Any]:
    """Ocids held by earlier good imports of the same file from the same publisher, absent now.

    Why the file and not the whole publisher: a paged publication (Armenia's nine pages of 100)
    would otherwise report every earlier page as missing; a file imported again under its name
    (a full dump, a feed re-downloaded) that lost processes is what silently goes missing.
    """
    earlier = aliased(ImportRunOcid)
    now = aliased(ImportRunOcid)
    return (
        sa.select(earlier.ocid)
        .join(ImportRun, ImportRun.id == earlier.run_id)
        .where(
            ImportRun.source_key == run.source_key,
            ImportRun.source == run.source,
            ImportRun.outcome == ImportOutcome.imported,
            ImportRun.id < run.id,
            ~sa.exists().where(now.run_id == run.id, now.ocid == earlier.ocid),
        )
        .distinct()
    )


def close_run(
    db: Session,
    run: ImportRun,
    summary: ImportSummary,
    publishers: collections.Counter[str],
    *,
    findings: FindingLog | None = None,
    indicators: dict[str, int] | None = None,
) -> None:
    """Fill the entry from the file's publishers, the import's summary and the comparison with
    earlier imports; write its data-quality findings (one bulk insert) and set its transparency
    indicators (`with_*` counts)."""
    run.publisher, run.source_key = source_key(run.kind, run.source, publishers)
    run.details = {**run.details, "publishers": _publisher_list(publishers)}
    db.flush()
    missing = _missing_query(run).subquery()
    run.missing = db.execute(sa.select(sa.func.count()).select_from(missing)).scalar_one()
    shown = list(
        db.execute(
            sa.select(missing.c.ocid).order_by(missing.c.ocid).limit(MISSING_SHOWN)
        ).scalars()
    )
    run.releases_read = summary.releases
    run.records_created = summary.created
    run.records_updated = summary.updated
    run.unchanged = summary.unchanged
    run.skipped = summary.skipped
    run.duplicates = summary.duplicates
    run.out_of_order = summary.skip_reasons.get(OLDER, 0)
    run.details = {
        **run.details,
        "skip_reasons": [
            {"reason": reason, "count": count, "examples": summary.examples.get(reason, [])}
            for reason, count in summary.skip_reasons.most_common()
        ],
        "duplicate_examples": summary.examples.get(REPEATED, []),
        "missing_ocids": shown,
        "suppliers_created": summary.suppliers,
        "buyers_created": summary.buyers,
    }
    for column, count in (indicators or {}).items():
        setattr(run, column, count)
    run.finished_at = utcnow()
    db.flush()
    if findings is not None:
        insert_rows(db, ImportFinding.__table__, findings.rows(run.id))  # type: ignore[arg-type]


def record_refusal(
    db: Session,
    source: Source,
    messages: list[str],
    *,
    total: int | None = None,
    publishers: collections.Counter[str] | None = None,
) -> ImportRun:
    """A refused import's entry, with the messages naming file, line or JSON path.

    Call it in a transaction of its own, after the import's rollback: it is all that is written.
    """
    details = {
        "problems": messages[:PROBLEMS_SHOWN],
        "problem_count": max(total or 0, len(messages)),
    }
    return _add_run(db, source, ImportOutcome.refused, details, publishers)


def record_csv_import(
    db: Session, source: Source, *, rows: int, created: int, present: int
) -> ImportRun:
    """A good CSV import's entry: rows read, records created, rows already held."""
    return _add_run(
        db,
        source,
        ImportOutcome.imported,
        {},
        releases_read=rows,
        records_created=created,
        unchanged=present,
    )


# Reading the ledger: the pages, the API and the downloads share one shape.


def runs_query() -> sa.Select[Any]:
    return sa.select(ImportRun).order_by(ImportRun.id.desc())


def run_json(run: ImportRun, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """An entry as the pages, the API and the tests read it; `findings` are the run's, from
    `quality.findings_by_run` (one query for a page of runs)."""
    details = run.details or {}
    return {
        "id": run.id,
        "kind": run.kind,
        "source": run.source,
        "via": run.via,
        "publisher": run.publisher,
        "source_key": run.source_key,
        "file_sha256": run.file_sha256,
        "file_bytes": run.file_bytes,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "outcome": run.outcome.value,
        "releases_read": run.releases_read,
        "records_created": run.records_created,
        "records_updated": run.records_updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "duplicates": run.duplicates,
        "out_of_order": run.out_of_order,
        "missing": run.missing,
        "skip_reasons": details.get("skip_reasons", []),
        "duplicate_examples": details.get("duplicate_examples", []),
        "missing_ocids": details.get("missing_ocids", []),
        "problems": details.get("problems", []),
        "problem_count": details.get("problem_count", 0),
        "publishers": details.get("publishers", []),
        "findings": findings,
        "indicators": run_indicators(run),
    }


def record_refused(db: Session, exc: Any) -> ImportRun | None:
    """record_refusal for an importer's ImportRefused (which carries its source); None without."""
    if exc.source is None:
        return None
    return record_refusal(db, exc.source, exc.messages, total=exc.total, publishers=exc.publishers)
