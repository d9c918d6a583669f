"""Stored figures kept right after a web write: the records a write touched are refreshed in its
own transaction, just before it commits.

Why refresh rather than fall back to the live query when a row is stale: knowing a row is stale
would itself take a pass over the record's contracts, which is what the stored rows save. The
touched records are noticed where every ORM write passes (a flush of a contract, or of a buyer's
type, which is in its suppliers' figures); a Core UPDATE of contracts (a supplier merge) says what
it moved with `touch`. Bulk loads (seed, OCDS import) are followed by `registry detect`, which
refreshes the records whose contracts changed; until then each page says when its figures were
computed.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.figures import services
from registry.scoring.assessments.models import Assessment

TOUCHED = "registry.figures.touched"
KINDS = ("suppliers", "buyers", "lots", "typed_buyers", "rated_suppliers", "rated_buyers")
# A contract's keys, and the figures each is the key of.
CONTRACT_KEYS = {"supplier_id": "suppliers", "buyer_id": "buyers", "lot_id": "lots"}
# An assessment's keys, and the totals whose ratings it is counted in.
ASSESSMENT_KEYS = {"supplier_id": "rated_suppliers", "buyer_id": "rated_buyers"}


def touch(db: Session, **ids: Any) -> None:
    """Note records whose figures this transaction changed: suppliers, buyers, lots (ids),
    typed_buyers (buyers whose type changed), or rated_suppliers and rated_buyers (whose
    assessments changed)."""
    touched = db.info.setdefault(TOUCHED, {kind: set() for kind in KINDS})
    for kind, values in ids.items():
        touched[kind].update(v for v in values if v is not None)


def touch_suppliers(db: Session, supplier_ids: list[int]) -> None:
    """Suppliers whose contracts a Core UPDATE moved between them, and those contracts' buyers
    (read after the move: they are the suppliers' buyers now)."""
    buyers = db.execute(
        sa.select(Contract.buyer_id).where(Contract.supplier_id.in_(supplier_ids)).distinct()
    ).scalars()
    touch(db, suppliers=supplier_ids, buyers=list(buyers))


def _touch_keys(session: Session, obj: Any, keys: dict[str, str]) -> None:
    state = sa.inspect(obj)
    for key, kind in keys.items():
        # Where it is now and where it was: a move changes both records' figures.
        touch(session, **{kind: [getattr(obj, key), *state.attrs[key].history.deleted]})


def _after_flush(session: Session, context: Any) -> None:
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Contract):
            _touch_keys(session, obj, CONTRACT_KEYS)
        elif isinstance(obj, Assessment):
            _touch_keys(session, obj, ASSESSMENT_KEYS)
        elif isinstance(obj, Buyer) and sa.inspect(obj).attrs.buyer_type.history.deleted:
            touch(session, typed_buyers=[obj.id])


def _before_commit(session: Session) -> None:
    session.flush()  # the commit flushes only after this event: what is pending, first
    touched = session.info.pop(TOUCHED, None)
    if not touched:
        return
    if touched["suppliers"]:
        services.refresh_supplier_figures(session, touched["suppliers"])
    if touched["typed_buyers"]:
        typed = sa.select(Buyer.id).where(Buyer.id.in_(sorted(touched["typed_buyers"])))
        services.refresh_supplier_figures(session, services.suppliers_of_buyers(typed))
    if touched["buyers"]:
        services.refresh_buyer_figures(session, touched["buyers"])
    if touched["lots"]:
        services.refresh_lot_figures(session, touched["lots"])
    # Those refreshed above have their totals, ratings included, already.
    rated_suppliers = touched["rated_suppliers"] - touched["suppliers"]
    rated_buyers = touched["rated_buyers"] - touched["buyers"]
    if rated_suppliers or rated_buyers:
        services.refresh_ratings(session, rated_suppliers, rated_buyers)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back: nothing of it to refresh
        session.info.pop(TOUCHED, None)


def listen() -> None:
    """Watch every session in the process (idempotent). Before the data version's commit hook,
    so the refresh's writes are in the version it moves."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit, insert=True)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
