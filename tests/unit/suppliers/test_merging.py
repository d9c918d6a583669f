"""Merging two supplier records and reversing it: what moves, what is kept, what is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.accounts.services import DatabaseUserService
from registry.audit.models import AuditEvent
from registry.audit.services import verify_chain
from registry.contracts.models import Contract
from registry.frameworks.models import Membership, MembershipStatus, MembershipStatusChange
from registry.suppliers.models import Supplier, SupplierMerge
from registry.suppliers.services import MergeError, SupplierService
from tests.common.db.core import (
    ContractFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def pair(db_session: Session) -> dict[str, object]:
    survivor = SupplierFactory.create(name="EMIS Health Ltd", aliases=["EMIS"])
    merged = SupplierFactory.create(name="Egton Medical Information Systems", aliases=["EMIS"])
    shared_lot, own_lot = LotFactory.create(), LotFactory.create()
    return {
        "survivor": survivor,
        "merged": merged,
        "contracts": [ContractFactory.create(supplier=merged) for _ in range(3)],
        "survivor_contract": ContractFactory.create(supplier=survivor),
        "kept": MembershipFactory.create(supplier=survivor, lot=shared_lot),
        "clash": MembershipFactory.create(
            supplier=merged, lot=shared_lot, status=MembershipStatus.suspended
        ),
        "moved": MembershipFactory.create(supplier=merged, lot=own_lot),
        "obligation": ObligationFactory.create(supplier=merged),
        "user": DatabaseUserService(db_session).create_user(
            "egton@example.org", TEST_PASSWORD, "supplier", supplier_id=merged.id
        ),
    }


def _supplier_of(db: Session, model: type, row_id: int) -> int:
    return db.execute(sa.select(model.supplier_id).where(model.id == row_id)).scalar_one()  # type: ignore[attr-defined]


def test_merge_moves_everything_and_keeps_the_record(db_session: Session, pair: dict) -> None:
    survivor, merged = pair["survivor"], pair["merged"]
    row = SupplierService(db_session).merge(merged, survivor, reason="Same company", actor=None)

    for contract in pair["contracts"]:
        assert _supplier_of(db_session, Contract, contract.id) == survivor.id
    assert _supplier_of(db_session, Membership, pair["moved"].id) == survivor.id
    # The survivor was already on the shared lot: its place stays, the merged one's is ended.
    clash = db_session.get(Membership, pair["clash"].id)
    assert clash.supplier_id == merged.id
    assert clash.status == MembershipStatus.removed
    assert clash.end_date == clock.today()
    assert pair["obligation"].supplier_id == survivor.id
    assert pair["user"].supplier_id == survivor.id
    # The merged record is kept, pointing at the survivor; its name became an alias.
    assert db_session.get(Supplier, merged.id).merged_into_id == survivor.id
    assert survivor.aliases == ["EMIS", "Egton Medical Information Systems"]
    assert row.moved["contracts"] == sorted(c.id for c in pair["contracts"])
    assert row.moved["memberships"] == [pair["moved"].id]
    assert row.moved["memberships_ended"] == [
        {"id": pair["clash"].id, "status": "suspended", "end_date": None}
    ]
    assert row.moved["aliases_added"] == ["Egton Medical Information Systems"]
    actions = db_session.execute(
        sa.select(AuditEvent.action, AuditEvent.subject_id).where(
            AuditEvent.action.in_(["supplier.merged", "supplier.merge_received"])
        )
    ).all()
    assert sorted(actions) == [
        ("supplier.merge_received", str(survivor.id)),
        ("supplier.merged", str(merged.id)),
    ]
    assert verify_chain(db_session).intact


def test_reverse_moves_exactly_those_rows_back(db_session: Session, pair: dict) -> None:
    survivor, merged = pair["survivor"], pair["merged"]
    service = SupplierService(db_session)
    row = service.merge(merged, survivor, reason="Same company", actor=None)
    # Work done on the survivor after the merge stays with it.
    later = ContractFactory.create(supplier=survivor)
    service.reverse_merge(row, reason="Different companies after all", actor=None)

    for contract in pair["contracts"]:
        assert _supplier_of(db_session, Contract, contract.id) == merged.id
    assert _supplier_of(db_session, Contract, pair["survivor_contract"].id) == survivor.id
    assert _supplier_of(db_session, Contract, later.id) == survivor.id
    assert _supplier_of(db_session, Membership, pair["moved"].id) == merged.id
    assert _supplier_of(db_session, Membership, pair["kept"].id) == survivor.id
    clash = db_session.get(Membership, pair["clash"].id)
    assert (clash.status, clash.end_date) == (MembershipStatus.suspended, None)
    changes = db_session.execute(
        sa.select(MembershipStatusChange.from_status, MembershipStatusChange.to_status)
        .where(MembershipStatusChange.membership_id == clash.id)
        .order_by(MembershipStatusChange.id)
    ).all()
    assert changes == [
        (MembershipStatus.suspended, MembershipStatus.removed),
        (MembershipStatus.removed, MembershipStatus.suspended),
    ]
    assert db_session.get(Supplier, pair["obligation"].supplier_id) is merged
    assert pair["user"].supplier_id == merged.id
    assert survivor.aliases == ["EMIS"]
    assert merged.merged_into_id is None
    row = db_session.get(SupplierMerge, row.id)
    assert row.reversed_at is not None and row.reversal_reason == "Different companies after all"
    with pytest.raises(MergeError, match="already been reversed"):
        service.reverse_merge(row, reason="again", actor=None)
    assert verify_chain(db_session).intact


def test_merge_refusals(db_session: Session) -> None:
    a, b, c = SupplierFactory.create(), SupplierFactory.create(), SupplierFactory.create()
    service = SupplierService(db_session)
    with pytest.raises(MergeError, match="Enter why"):
        service.merge(b, a, reason="  ", actor=None)
    with pytest.raises(MergeError, match="cannot be merged into itself"):
        service.merge(a, a, reason="x", actor=None)
    row = service.merge(b, a, reason="same", actor=None)
    with pytest.raises(MergeError, match="has already been merged"):
        service.merge(b, c, reason="x", actor=None)
    with pytest.raises(MergeError, match="merge into that record instead"):
        service.merge(c, b, reason="x", actor=None)
    # Once the survivor is merged on, the first merge cannot be undone until that one is.
    later = service.merge(a, c, reason="same again", actor=None)
    with pytest.raises(MergeError, match="reverse that merge first"):
        service.reverse_merge(row, reason="x", actor=None)
    service.reverse_merge(later, reason="undo", actor=None)
    service.reverse_merge(row, reason="undo", actor=None)
    assert db_session.get(Supplier, b.id).merged_into_id is None


def test_reverse_keeps_a_place_the_merged_record_has_taken_again(
    db_session: Session, pair: dict
) -> None:
    survivor, merged = pair["survivor"], pair["merged"]
    service = SupplierService(db_session)
    row = service.merge(merged, survivor, reason="Same company", actor=None)
    # Someone put the merged record back on the lot its place was moved from.
    again = MembershipFactory.create(supplier=merged, lot=pair["moved"].lot)
    service.reverse_merge(row, reason="undo", actor=None)
    assert _supplier_of(db_session, Membership, pair["moved"].id) == survivor.id
    assert _supplier_of(db_session, Membership, again.id) == merged.id
    event = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "supplier.merge_reversed",
            AuditEvent.subject_id == str(merged.id),
        )
    ).scalar_one()
    assert event.after["returned"]["memberships_kept_by_survivor"] == 1
    assert event.after["returned"]["contracts"] == 3
