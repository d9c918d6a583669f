"""The contracts' changes as the database logged them, for incremental detection.

Triggers on contracts, suppliers and lots (migration 0033) append to `change_log` every contract
inserted, updated or deleted, with the buyer, supplier group, CPV code, classification and lot it
had before a change; every supplier moved to another group, with its old group; every lot moved
to another framework, with both. No writer can forget them (the ORM, bulk inserts, COPY and
hand-written SQL all fire them), so `registry detect` need not fingerprint every contract on
every run (one pass over the national table) to find the few a day's file touched.

`take` moves the log's rows into a temporary table and deletes them (in the detect run's
transaction: a run that fails leaves them for the next); rows committed while it runs are not
among those it read and stay. `changed_subjects` turns them into the kinds of subject the
stored fingerprints compare (markets at the run's CPV depth, buyers, supplier groups,
frameworks, and the contracts table): what each contract is in now, read from the contract,
and what it was in before, read from the log.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.changes.models import Change
from registry.contracts.models import Contract
from registry.frameworks.models import Lot
from registry.markets.keys import KINDS, kind_condition, market_column
from registry.sql import fresh_table
from registry.suppliers.models import Supplier

CHANGE_LOG: sa.Table = Change.__table__  # type: ignore[assignment]
TAKEN = sa.Table(
    "tmp_taken_changes",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger),
    sa.Column("kind", sa.String(24)),
    sa.Column("subject", sa.String(100)),
    prefixes=["TEMPORARY"],
)
# The subjects of the contracts changed (and of every contract of a supplier moved to another
# group), as they are now: one row per contract.
SUBJECT_IDS = ("buyer_id", "group_id", "framework_id")
TOUCHED = sa.Table(
    "tmp_touched_contracts",
    sa.MetaData(),
    *(sa.Column(f"market_{kind}", sa.String(100)) for kind in KINDS),
    *(sa.Column(name, sa.Integer) for name in SUBJECT_IDS),
    prefixes=["TEMPORARY"],
)


def take(db: Session) -> int:
    """Move the logged changes into TAKEN and off the log; how many there were."""
    fresh_table(db, TAKEN)
    log = CHANGE_LOG.c
    db.execute(
        TAKEN.insert().from_select(
            ["id", "kind", "subject"], sa.select(log.id, log.kind, log.subject)
        )
    )
    taken = int(db.execute(sa.select(sa.func.count()).select_from(TAKEN)).scalar_one())
    if taken:
        # Only the rows read: one committed meanwhile (PostgreSQL) is left for the next run.
        db.execute(sa.delete(CHANGE_LOG).where(log.id.in_(sa.select(TAKEN.c.id))))
    return taken


def _logged(kind: str) -> sa.Select[Any]:
    return sa.select(TAKEN.c.subject).where(TAKEN.c.kind == kind)


def _logged_ids(kind: str) -> sa.Select[Any]:
    return sa.select(sa.cast(TAKEN.c.subject, sa.Integer)).where(TAKEN.c.kind == kind)


def _touched(db: Session, depth: int) -> None:
    """Fill TOUCHED from the contracts logged and those of the suppliers logged (moved)."""
    fresh_table(db, TOUCHED)
    values = {
        **{
            f"market_{kind}": sa.case(
                (
                    kind_condition(kind, depth),
                    sa.literal(f"{kind}-") + sa.cast(market_column(kind, depth), sa.String),
                )
            )
            for kind in KINDS
        },
        "buyer_id": Contract.buyer_id,
        "group_id": Supplier.group_id,
        "framework_id": Lot.framework_id,
    }
    for condition in (
        Contract.id.in_(_logged_ids("contract")),
        Contract.supplier_id.in_(_logged_ids("supplier")),
    ):
        source: Any = (
            sa.select(*(value.label(name) for name, value in values.items()))
            .select_from(Contract)
            .join(Supplier, Supplier.id == Contract.supplier_id)
            .outerjoin(Lot, Lot.id == Contract.lot_id)
            .where(condition)
        )
        db.execute(TOUCHED.insert().from_select(list(values), source))


def _rows(kind: str, subject: Any, *where: Any, source: Any = None) -> sa.Select[Any]:
    select: Any = sa.select(
        sa.literal(kind, sa.String).label("kind"), sa.cast(subject, sa.String).label("subject")
    )
    if source is not None:
        select = select.select_from(source)
    return cast("sa.Select[Any]", select.where(*where))


def changed_subjects(db: Session, depth: int) -> list[sa.Select[Any]]:
    """(kind, subject) selects of what the taken changes touched, after `take`: each contract's
    markets (every kind, keys as the stored figures have them), buyer, group and framework now
    and before, and the contracts table itself when a contract changed."""
    _touched(db, depth)
    t = TOUCHED.c
    taken = TAKEN.c
    subject = taken.subject
    selects = [
        _rows("market", t[f"market_{kind}"], t[f"market_{kind}"].is_not(None)) for kind in KINDS
    ]
    selects += [
        _rows("buyer", t.buyer_id),
        _rows("group", t.group_id),
        _rows("framework", t.framework_id, t.framework_id.is_not(None)),
        # What the contracts were in before a change, as the log names it.
        _rows("buyer", subject, taken.kind == "buyer"),
        _rows("market", sa.literal("buyer-") + subject, taken.kind == "buyer"),
        _rows(
            "market",
            sa.literal("cpv-") + sa.func.substr(subject, 1, depth),
            taken.kind == "cpv",
            sa.func.length(subject) >= depth,
        ),
        _rows("market", sa.literal("cls-") + subject, taken.kind == "cls"),
        _rows("market", sa.literal("lot-") + subject, taken.kind == "lot"),
        _rows("group", subject, taken.kind == "group"),
        _rows("framework", subject, taken.kind == "framework"),
        _rows(
            "framework",
            Lot.framework_id,
            Lot.id.in_(_logged_ids("lot")),
            source=Lot,
        ),
        _rows(
            "table",
            sa.literal(CONTRACT_TABLE),
            sa.exists(_logged("contract")),
        ),
    ]
    return selects


CONTRACT_TABLE = Contract.__tablename__


def forget_temporary(db: Session) -> None:
    connection = db.connection()
    TOUCHED.drop(connection, checkfirst=True)
    TAKEN.drop(connection, checkfirst=True)
