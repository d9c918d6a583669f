"""The assessments' changes as the database logged them, for incremental scoring.

Triggers on assessments and contracts (migration 0034) put in `score_log` the supplier and the
framework of every assessment inserted, deleted or changed in what the scores read of it, and of
every assessment of a contract whose publication changed. No writer can forget them (the ORM,
bulk inserts, COPY and hand-written SQL all fire them), so `registry score` need not fingerprint
every assessment on every run to find the few a day touched.

The log is `registry score`'s alone (detect has its own, registry.changes.logged). `take`
deletes its rows and keeps them in a temporary table, in the scoring run's transaction (a run
that fails leaves them for the next): one DELETE ... RETURNING, so a row a writer commits
meanwhile is either taken or left for the next run. (On PostgreSQL the triggers never skip a
subject the log holds: that row may be one a running scoring run is deleting.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.changes.models import ScoreChange
from registry.sql import fresh_table

SCORE_LOG: sa.Table = ScoreChange.__table__  # type: ignore[assignment]
KINDS = ("supplier", "framework")
TAKEN = sa.Table(
    "tmp_taken_score_changes",
    sa.MetaData(),
    sa.Column("kind", sa.String(24)),
    sa.Column("subject", sa.Integer),
    prefixes=["TEMPORARY"],
)


def take(db: Session) -> int:
    """Move the logged changes (each subject once) into TAKEN and off the log; how many."""
    log = SCORE_LOG.c
    taken = {
        (kind, subject)
        for kind, subject in db.execute(sa.delete(SCORE_LOG).returning(log.kind, log.subject))
    }
    fresh_table(db, TAKEN)
    if taken:
        db.execute(TAKEN.insert(), [{"kind": kind, "subject": subject} for kind, subject in taken])
    return len(taken)


def changed_subjects() -> list[sa.Select[Any]]:
    """(kind, subject) selects of the suppliers and frameworks taken, after `take`, keys as the
    fingerprints compare them (text)."""
    t = TAKEN.c
    subject: Any = sa.cast(t.subject, sa.String)
    return [
        sa.select(sa.literal(kind, sa.String).label("kind"), subject)
        .where(t.kind == kind)
        .distinct()
        for kind in KINDS
    ]


def forget_temporary(db: Session) -> None:
    TAKEN.drop(db.connection(), checkfirst=True)
