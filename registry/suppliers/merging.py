"""Merging two records of one company, and undoing it.

The merged record keeps its row (with `merged_into_id`); its contracts, memberships, obligations
and users are re-pointed at the survivor with set-based UPDATEs, and the ids of exactly the rows
moved are kept on the SupplierMerge, so a reversal moves those rows back and nothing else.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.accounts.models import User
from registry.audit.services import record_event
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.figures.hooks import touch_suppliers
from registry.frameworks.models import (
    Membership,
    MembershipStatus,
    MembershipStatusChange,
    Obligation,
)
from registry.problems import ServiceError
from registry.sql import in_chunks
from registry.suppliers.models import Supplier, SupplierMerge

# The tables whose rows follow a supplier through a merge, by the key used in SupplierMerge.moved.
# Memberships are handled apart: a lot may hold only one membership per supplier.
REPOINTED: dict[str, Any] = {
    "contracts": Contract,
    "obligations": Obligation,
    "users": User,
}
# Keep each IN (...) list well under SQLite's bound-parameter limit.
CHUNK = 5000


class MergeError(ServiceError):
    """The merge or its reversal cannot be made; the message says why."""


def _ids(db: Session, model: Any, supplier_id: int) -> list[int]:
    return list(
        db.execute(
            sa.select(model.id).where(model.supplier_id == supplier_id).order_by(model.id)
        ).scalars()
    )


def _repoint(db: Session, model: Any, ids: list[int], *, source: int, target: int) -> int:
    moved = 0
    for chunk in in_chunks(ids, CHUNK):
        result = db.execute(
            sa.update(model)
            .where(model.id.in_(chunk), model.supplier_id == source)
            .values(supplier_id=target)
            .execution_options(synchronize_session="fetch")
        )
        moved += result.rowcount  # type: ignore[attr-defined]
    return moved


def _label(supplier: Supplier) -> str:
    return f"{supplier.name} (registry number {supplier.id})"


def merge(
    db: Session, merged: Supplier, survivor: Supplier, *, reason: str, actor: Any
) -> SupplierMerge:
    reason = (reason or "").strip()
    problems: list[tuple[str, str]] = []
    if not reason:
        problems.append(("reason", "Enter why these records are the same company"))
    if merged.id == survivor.id:
        problems.append(("survivor", "A record cannot be merged into itself"))
    elif merged.is_merged:
        problems.append(("", f"{_label(merged)} has already been merged"))
    elif survivor.is_merged:
        problems.append(
            (
                "survivor",
                f"{_label(survivor)} has itself been merged into registry number "
                f"{survivor.merged_into_id}: merge into that record instead",
            )
        )
    if problems:
        raise MergeError(problems)

    moved: dict[str, Any] = {}
    for key, model in REPOINTED.items():
        ids = _ids(db, model, merged.id)
        _repoint(db, model, ids, source=merged.id, target=survivor.id)
        moved[key] = ids
    touch_suppliers(db, [merged.id, survivor.id])

    # Memberships: move those on lots the survivor is not on; where it already is, keep the
    # survivor's and end the merged record's, remembering its status so a reversal restores it.
    survivor_lots = sa.select(Membership.lot_id).where(Membership.supplier_id == survivor.id)
    movable = list(
        db.execute(
            sa.select(Membership.id)
            .where(Membership.supplier_id == merged.id, Membership.lot_id.not_in(survivor_lots))
            .order_by(Membership.id)
        ).scalars()
    )
    clashing = list(
        db.execute(
            sa.select(Membership)
            .where(Membership.supplier_id == merged.id, Membership.lot_id.in_(survivor_lots))
            .order_by(Membership.id)
        ).scalars()
    )
    _repoint(db, Membership, movable, source=merged.id, target=survivor.id)
    moved["memberships"] = movable
    moved["memberships_ended"] = []
    today = clock.today()
    for membership in clashing:
        moved["memberships_ended"].append(
            {
                "id": membership.id,
                "status": membership.status.value,
                "end_date": membership.end_date.isoformat() if membership.end_date else None,
            }
        )
        _set_status(
            db,
            membership,
            MembershipStatus.removed,
            end_date=membership.end_date or today,
            reason=f"Merged into {_label(survivor)}, which is already on this lot",
            actor=actor,
        )

    # The merged record's names become the survivor's aliases.
    known = {survivor.name.casefold(), *(a.casefold() for a in survivor.aliases or [])}
    added: list[str] = []
    for name in [merged.name, *(merged.aliases or [])]:
        if name.casefold() not in known:
            known.add(name.casefold())
            added.append(name)
    survivor.aliases = [*(survivor.aliases or []), *added]
    moved["aliases_added"] = added

    merged.merged_into_id = survivor.id
    row = SupplierMerge(
        survivor_id=survivor.id,
        merged_id=merged.id,
        moved=moved,
        reason=reason,
        merged_by_id=getattr(actor, "id", None),
    )
    db.add(row)
    db.flush()
    after = {"merge_id": row.id, "survivor_id": survivor.id, "merged_id": merged.id, **moved}
    record_event(
        db,
        action="supplier.merged",
        subject_type="supplier",
        subject_id=merged.id,
        actor=actor,
        before={"merged_into_id": None},
        after=after,
        reason=reason,
    )
    record_event(
        db,
        action="supplier.merge_received",
        subject_type="supplier",
        subject_id=survivor.id,
        actor=actor,
        after=after,
        reason=reason,
    )
    db.expire_all()  # bulk UPDATEs bypassed the loaded objects' relationships
    return row


def reverse(db: Session, row: SupplierMerge, *, reason: str, actor: Any) -> None:
    reason = (reason or "").strip()
    problems: list[tuple[str, str]] = []
    if not reason:
        problems.append(("reason", "Enter why the merge is being reversed"))
    if row.reversed_at is not None:
        problems.append(("", "This merge has already been reversed"))
    elif row.survivor.is_merged:
        problems.append(
            (
                "",
                f"{_label(row.survivor)} has since been merged into registry number "
                f"{row.survivor.merged_into_id}: reverse that merge first",
            )
        )
    if problems:
        raise MergeError(problems)

    survivor, merged = row.survivor, row.merged
    moved = row.moved
    returned: dict[str, int] = {}
    for key, model in REPOINTED.items():
        ids = [int(i) for i in moved.get(key, [])]
        returned[key] = _repoint(db, model, ids, source=survivor.id, target=merged.id)
    touch_suppliers(db, [merged.id, survivor.id])
    # A membership goes back unless the merged record has meanwhile been put on that lot again
    # (one membership per supplier and lot): then it stays with the survivor, and is reported.
    membership_ids = [int(i) for i in moved.get("memberships", [])]
    merged_lots = sa.select(Membership.lot_id).where(Membership.supplier_id == merged.id)
    blocked = set(
        db.execute(
            sa.select(Membership.id).where(
                Membership.id.in_(membership_ids), Membership.lot_id.in_(merged_lots)
            )
        ).scalars()
    )
    returned["memberships"] = _repoint(
        db,
        Membership,
        [i for i in membership_ids if i not in blocked],
        source=survivor.id,
        target=merged.id,
    )
    returned["memberships_kept_by_survivor"] = len(blocked)
    for ended in moved.get("memberships_ended", []):
        membership = db.get(Membership, int(ended["id"]))
        if membership is None or membership.supplier_id != merged.id:
            continue
        end_date = ended["end_date"]
        _set_status(
            db,
            membership,
            MembershipStatus(ended["status"]),
            end_date=datetime.date.fromisoformat(end_date) if end_date else None,
            reason=f"Merge into {_label(survivor)} reversed: {reason}",
            actor=actor,
        )
    added = {a.casefold() for a in moved.get("aliases_added", [])}
    survivor.aliases = [a for a in survivor.aliases or [] if a.casefold() not in added]
    merged.merged_into_id = None
    row.reversed_at = utcnow()
    row.reversed_by_id = getattr(actor, "id", None)
    row.reversal_reason = reason
    db.flush()
    after = {"merge_id": row.id, "survivor_id": survivor.id, "merged_id": merged.id}
    for subject_id in (merged.id, survivor.id):
        record_event(
            db,
            action="supplier.merge_reversed",
            subject_type="supplier",
            subject_id=subject_id,
            actor=actor,
            before={"merged_into_id": survivor.id} if subject_id == merged.id else None,
            after={**after, "returned": returned},
            reason=reason,
        )
    db.expire_all()


def _set_status(
    db: Session,
    membership: Membership,
    status: MembershipStatus,
    *,
    end_date: datetime.date | None,
    reason: str,
    actor: Any,
) -> None:
    before = {
        "status": membership.status.value,
        "end_date": membership.end_date.isoformat() if membership.end_date else None,
    }
    if membership.status != status:
        db.add(
            MembershipStatusChange(
                membership=membership,
                from_status=membership.status,
                to_status=status,
                actor_id=getattr(actor, "id", None),
                reason=reason,
            )
        )
    membership.status = status
    membership.end_date = end_date
    db.flush()
    record_event(
        db,
        action="membership.status_changed",
        subject_type="membership",
        subject_id=membership.id,
        actor=actor,
        before=before,
        after={"status": status.value, "end_date": end_date.isoformat() if end_date else None},
        reason=reason,
    )
