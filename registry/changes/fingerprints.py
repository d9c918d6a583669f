"""Fingerprints of the registry's data, per subject, so a job can tell what changed since its last
run without any writer having to say so (a writer that forgot would leave a stale flag). The
contracts, too many to fingerprint on every run, are followed by the database's own triggers
instead (registry.changes.logged), which no writer can forget either.

A subject's fingerprint is its rows' count, the sum of their keys, and the sum of a digest of
every row's values (each column turned into a number, weighted by its place and by the row's key),
worked out by one GROUP BY per kind of subject and compared in SQL with the fingerprints the job
stored at its last run. Any edit, insertion, deletion or move of a row between subjects changes
its subjects' sums; two edits that cancel exactly are possible in principle, vanishingly unlikely
in practice, and `--full` recomputes everything regardless.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.changes.models import WorkFingerprint
from registry.db import TextDigest
from registry.sql import fresh_table

SPREAD = 9973  # a row's weight is its key modulo this prime, plus one
MODULUS = 1_000_003  # a row's digest of its values stays under this prime
# One weight per column, so the same value in another column gives another digest.
PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83)
FINGERPRINTS: sa.Table = WorkFingerprint.__table__  # type: ignore[assignment]
# This run's fingerprints and the subjects whose fingerprint differs from the stored one.
NOW = sa.Table(
    "tmp_fingerprints_now",
    sa.MetaData(),
    sa.Column("kind", sa.String(24)),
    sa.Column("subject", sa.String(100)),
    sa.Column("fingerprint", sa.String(200)),
    # Looked up by subject from the stored fingerprints: without it SQLite compares every pair.
    sa.Index("tmp_fingerprints_now_subject", "kind", "subject"),
    prefixes=["TEMPORARY"],
)
CHANGED = sa.Table(
    "tmp_changed_subjects",
    sa.MetaData(),
    sa.Column("kind", sa.String(24)),
    sa.Column("subject", sa.String(100)),
    prefixes=["TEMPORARY"],
)


def _big(value: Any) -> Any:
    return sa.cast(value, sa.BigInteger)


def _term(column: sa.Column[Any]) -> Any | None:
    """The column's value as a number (null as 0, so it differs from any value), or None for a
    type not fingerprinted (binary)."""
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # UTCDateTime and the like: what they store
        kind = kind.impl_instance
    if isinstance(kind, sa.Boolean):
        value: Any = sa.cast(column, sa.Integer) + 1
    elif isinstance(kind, sa.Integer):
        value = column % SPREAD + 1
    elif isinstance(kind, sa.Numeric):  # Float too: whole pennies, so sums are exact
        value = _big(sa.func.round(column * 100)) % MODULUS + 1
    elif isinstance(kind, sa.Date | sa.DateTime):
        value = (
            sa.extract("year", column) * 372
            + sa.extract("month", column) * 31
            + sa.extract("day", column)
        )
    elif isinstance(kind, sa.String | sa.Text | sa.Enum | sa.JSON):  # JSON as its text
        value = TextDigest(sa.cast(column, sa.Text)) + 1
    else:
        return None
    return sa.func.coalesce(_big(value), 0)


def weighted_sum(columns: Iterable[sa.Column[Any]], first: int = 0) -> Any:
    """A row's values, each weighted by its column's place (from `first`), summed."""
    terms = [t for t in (_term(c) for c in columns) if t is not None]
    return sum(
        (PRIMES[(first + i) % len(PRIMES)] * term for i, term in enumerate(terms)),
        start=_big(0),
    )


def keyed_digest(weighted: Any, keys: Sequence[Any]) -> Any:
    """A row's digest from its weighted sum: reduced, then weighted by its key."""
    key = sum((_big(k) for k in keys), start=_big(0))
    return (key % SPREAD + 1) * (weighted % MODULUS)


def row_digest(columns: Iterable[sa.Column[Any]], keys: Sequence[Any]) -> Any:
    """One row's digest: its values weighted by column, reduced, then weighted by its key."""
    return keyed_digest(weighted_sum(columns), keys)


def fingerprint(digest: Any, keys: Sequence[Any]) -> Any:
    """The text compared between runs: count, sum of keys, sum of digests."""
    parts = [
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sum((_big(k) for k in keys), start=_big(0))), 0),
        sa.func.coalesce(sa.func.sum(digest), 0),
    ]
    text: Any = sa.cast(parts[0], sa.String)
    for part in parts[1:]:
        text = text + ":" + sa.cast(part, sa.String)
    return text


def table_fingerprint(table: sa.Table) -> sa.Select[Any]:
    """One row (kind `table`, the table's name) over the whole table."""
    keys = list(table.primary_key.columns)
    digest = row_digest(table.columns, keys)
    return sa.select(
        sa.literal("table", sa.String).label("kind"),
        sa.literal(table.name, sa.String).label("subject"),
        fingerprint(digest, keys).label("fingerprint"),
    ).select_from(table)


@dataclasses.dataclass
class Changes:
    """What differs between the data now and the job's last run."""

    first_run: bool
    # Subjects changed, by kind (market, buyer, group, framework, table, settings, date).
    counts: dict[str, int]
    tables: frozenset[str]
    settings_changed: bool
    date_changed: bool

    @property
    def nothing(self) -> bool:
        return not self.first_run and not any(self.counts.values())

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)


def compare(
    db: Session,
    job: str,
    sources: Sequence[sa.Select[Any]],
    settings: str,
    today: str,
    changed: Sequence[sa.Select[Any]] = (),
    seconds: dict[str, float] | None = None,
) -> Changes:
    """Work out the fingerprints now (INSERT ... SELECT into a temporary table) and the subjects
    whose fingerprint differs from the stored one (left in CHANGED for the job to scope by),
    beside those known changed otherwise (`changed`: (kind, subject) selects). `seconds`: given,
    gets the time the fingerprints took and the time the comparison took."""
    started = time.perf_counter()
    fresh_table(db, NOW)
    fresh_table(db, CHANGED)
    columns = ["kind", "subject", "fingerprint"]
    for select in sources:
        db.execute(NOW.insert().from_select(columns, select))
    fingerprinted = time.perf_counter()
    literal = [
        {"kind": "settings", "subject": job, "fingerprint": settings[:200]},
        {"kind": "date", "subject": "today", "fingerprint": today},
    ]
    db.execute(NOW.insert(), literal)
    stored = FINGERPRINTS.alias("stored")
    ours = stored.c.job == job
    # A subject changed when its fingerprint now is not the stored one, or it has gone.
    for table, other, condition in ((NOW, stored, ours), (stored, NOW, sa.true())):
        same = sa.exists().where(
            other.c.kind == table.c.kind,
            other.c.subject == table.c.subject,
            other.c.fingerprint == table.c.fingerprint,
            condition if other is stored else sa.true(),
        )
        where = ours if table is stored else sa.true()
        db.execute(
            CHANGED.insert().from_select(
                ["kind", "subject"],
                sa.select(table.c.kind, table.c.subject).where(where, ~same),
            )
        )
    for select in changed:
        db.execute(CHANGED.insert().from_select(["kind", "subject"], select))
    counts: dict[str, int] = {
        kind: count
        for kind, count in db.execute(
            sa.select(CHANGED.c.kind, sa.func.count(CHANGED.c.subject.distinct())).group_by(
                CHANGED.c.kind
            )
        )
    }
    tables = frozenset(
        db.execute(sa.select(CHANGED.c.subject).where(CHANGED.c.kind == "table")).scalars()
    )
    first_run = (
        db.execute(
            sa.select(sa.func.count()).select_from(FINGERPRINTS).where(FINGERPRINTS.c.job == job)
        ).scalar_one()
        == 0
    )
    if seconds is not None:
        seconds["fingerprints"] = fingerprinted - started
        seconds["changed subjects"] = time.perf_counter() - fingerprinted
    return Changes(
        first_run=first_run,
        counts=counts,
        tables=tables,
        settings_changed=first_run or counts.get("settings", 0) > 0,
        date_changed=first_run or counts.get("date", 0) > 0,
    )


def changed_subjects(kind: str, label: str = "subject") -> sa.Select[Any]:
    """The keys of one kind's changed subjects (after `compare`), for an IN (SELECT ...)."""
    return sa.select(CHANGED.c.subject.label(label)).where(CHANGED.c.kind == kind).distinct()


def remember(db: Session, job: str) -> None:
    """Store this run's fingerprints (after `compare`) as the job's last run's."""
    db.execute(sa.delete(FINGERPRINTS).where(FINGERPRINTS.c.job == job))
    db.execute(
        FINGERPRINTS.insert().from_select(
            ["job", "kind", "subject", "fingerprint"],
            sa.select(sa.literal(job, sa.String), NOW.c.kind, NOW.c.subject, NOW.c.fingerprint),
        )
    )


def forget_temporary(db: Session) -> None:
    connection = db.connection()
    CHANGED.drop(connection, checkfirst=True)
    NOW.drop(connection, checkfirst=True)
