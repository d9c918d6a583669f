"""Import a CSV file of one kind: check every row, then write all of it in one go or nothing.

Audit: one summary event per import (action `csv.imported`), carrying the file's SHA-256, the
counts and the ids created. Per-record events would take the audit chain's lock once per row and
hash thousands of near-identical events; the summary ties every created id to the exact input file,
and each created record also says `source = "csv"` (contracts) or is listed by id in the event.

Re-importing: rows already in the registry (recognised by each kind's natural key) are reported as
already present and left unchanged, never updated: changes to accountable records go through the
forms, where they are audited field by field.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.csvimport import assessments, contracts, frameworks, obligations, suppliers
from registry.csvimport.columns import KINDS
from registry.csvimport.plan import Plan
from registry.csvimport.reader import Problems, Row, read_rows

HANDLERS: dict[str, ModuleType] = {
    "frameworks": frameworks,
    "suppliers": suppliers,
    "obligations": obligations,
    "contracts": contracts,
    "assessments": assessments,
}
assert set(HANDLERS) == set(KINDS)


@dataclasses.dataclass
class ImportResult:
    kind: str
    filename: str
    rows: int = 0
    created_ids: list[int] = dataclasses.field(default_factory=list)
    present: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.filename,
            "rows": self.rows,
            "created": len(self.created_ids),
            "already_present": len(self.present),
            "problems": len(self.problems),
        }


def import_csv(
    db: Session, kind: str, data: bytes, filename: str, *, actor: Any = None
) -> ImportResult:
    """Check the whole file; write it in the caller's transaction only when nothing is wrong."""
    if kind not in HANDLERS:
        raise ValueError(f"{kind!r} is not a CSV kind: choose one of {', '.join(KINDS)}")
    handler = HANDLERS[kind]
    problems = Problems(filename)
    result = ImportResult(kind, filename)
    rows: list[Row] = read_rows(data, kind, problems)
    result.rows = len(rows)
    check: Callable[[Session, list[Row], Problems], Plan] = handler.check
    # Rows are checked even when the header is wrong, so one run lists every problem.
    plan = check(db, rows, problems) if rows else Plan()
    result.present = plan.present
    if problems:
        result.problems = problems.items
        return result
    write: Callable[[Session, Plan], list[int]] = handler.write
    result.created_ids = write(db, plan) if plan.create else []
    record_event(
        db,
        action="csv.imported",
        subject_type="csv_import",
        subject_id=f"{kind}:{hashlib.sha256(data).hexdigest()[:16]}",
        actor=actor,
        actor_label=None if actor else "cli",
        after={
            **result.summary(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "ids": result.created_ids,
            "already_present_lines": [line for line, _ in plan.present],
        },
    )
    return result
