"""Import OCDS files: clean and write in one pass, inside a savepoint, so a file is imported
with its findings or not at all.

Why one pass: parsing and hashing are most of the cost once writes are batched, so the file is
read once. Each release is cleaned as it is read (registry.opendata.validation): what breaks the
schema is a finding, and what cannot be interpreted is skipped with its reason. A file that is
not JSON or not OCDS, or (with `strict`) any fault at all, refuses the file: writing stops,
reading goes on to list *every* problem at once, and the savepoint is rolled back, so a refused
file leaves nothing but its ledger entry (written by the caller afterwards). Memory stays flat:
releases are handled in batches and only the registry's own buyers and suppliers are kept, as
ids; findings are counted per rule and path, with one example each. The write pass, a batch at
a time, is registry.opendata.writing.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.opendata import ledger
from registry.opendata.ahead import ReadAhead, reads_ahead
from registry.opendata.checking import FileCheck, ImportRefused, ImportSummary
from registry.opendata.limits import IMPORT, ReadLimits
from registry.opendata.mapping import map_release, text
from registry.opendata.memory import fewer_collections
from registry.opendata.writing import Checked, Writer


def import_file(
    db: Session,
    path: Path,
    name: str,
    *,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
    via: str = ledger.VIA_CLI,
    strict: bool = False,
    limits: ReadLimits = IMPORT,
) -> ImportSummary:
    """Import what can be interpreted of one file, with its findings; or raise ImportRefused
    having written nothing (not JSON, not OCDS, or with `strict` any fault at all).

    A good file's ledger entry (and its findings) is written with it, in the same savepoint.
    A refused file's is not: the ImportRefused carries what the caller needs to write it
    (ledger.record_refusal) in a transaction of its own, after rolling back. `limits` bound
    what the file may expand to as it is read (registry.opendata.limits)."""
    with fewer_collections():
        return _import_file(
            db, path, name, actor=actor, progress=progress, via=via, strict=strict, limits=limits
        )


def _import_file(
    db: Session,
    path: Path,
    name: str,
    *,
    actor: Any,
    progress: Callable[[int], None] | None,
    via: str,
    strict: bool,
    limits: ReadLimits,
) -> ImportSummary:
    source = ledger.describe(path, name, via=via)
    savepoint = db.begin_nested()
    writer = Writer(db, name, lambda: ledger.open_run(db, source), strict=strict)
    check = FileCheck(name, strict=strict, summary=writer.summary, limits=limits)
    writer.findings = check.findings
    writer.organisations.check = check  # where an unusable name is reported
    checked: Iterator[Checked] = (
        (found, digest, None) for found, digest in check.releases(path, progress)
    )
    # The reader ahead also maps each release (pure work of its own) while the database works.
    ahead = ReadAhead(checked, then=_mapped) if reads_ahead(db) else None
    if ahead is not None:
        checked, writer.gate = iter(ahead), ahead.gate
    try:
        try:
            summary = writer.run(checked, failed=lambda: check.total > 0)
        except ImportRefused:
            # A repeat the check's window missed: the file's own problems, if any, come first.
            collections.deque(checked, maxlen=0)
            if check.refusal() is None:
                raise
        refused = check.refusal()
        if refused is not None:
            raise refused
        check.finish()
        run = writer.ledger_entry()
        ledger.close_run(
            db,
            run,
            summary,
            check.publishers.counts,
            findings=check.findings,
            indicators=check.indicators.as_dict(),
        )
        summary.run_id = run.id
        record_event(
            db,
            action="opendata.ocds_imported",
            subject_type="ocds_file",
            subject_id=text(name, 200),
            actor=actor,
            after={**summary.as_json(), "import": run.id, "sha256": source.sha256},
            reason="OCDS import",
        )
    except ImportRefused as exc:
        savepoint.rollback()
        exc.source, exc.publishers = source, check.publishers.counts
        raise
    except BaseException:
        savepoint.rollback()
        raise
    finally:
        if ahead is not None:
            ahead.close()
    savepoint.commit()
    return summary


def _mapped(item: Checked) -> Checked:
    found, digest, _ = item
    assert found.release is not None
    return found, digest, map_release(found.release)
