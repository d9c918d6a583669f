from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from tests.common.db.core import ContractFactory, MembershipFactory


def test_core_factories_build_a_linked_record(db_session: Session) -> None:
    contract = ContractFactory()
    membership = MembershipFactory(supplier=contract.supplier)
    assert membership.lot.framework.reference.startswith("RM")
    assert contract.supplier.group.name == contract.supplier.name
    stored = db_session.execute(sa.select(Contract).where(Contract.id == contract.id)).scalar_one()
    assert stored.buyer.identifier_scheme == "GB-NHS-ODS"
