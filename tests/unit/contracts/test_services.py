"""The contract service's rules, its authority checks, and the per-contract ACL."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from registry.authnz import Permissions, RootFactory
from registry.contracts import includeme
from registry.contracts.interfaces import IContractService
from registry.contracts.models import Contract
from registry.contracts.resources import ContractContext
from registry.contracts.rules import check_terms
from registry.contracts.services import (
    ContractError,
    ContractInput,
    ContractPermissionError,
    ContractService,
)
from registry.records import Publication
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.common.services import registered_service


def test_verify_service() -> None:
    assert verifyClass(IContractService, ContractService)


def test_includeme_registers_the_service() -> None:
    assert isinstance(registered_service(includeme, IContractService), ContractService)


class Actor:
    """The parts of a user the service looks at."""

    def __init__(self, role: str, buyer_id: int | None = None) -> None:
        self.id = None
        self.email = f"{role}@example.org"
        self.role = role
        self.buyer_id = buyer_id


def _terms(**kw: Any) -> list[tuple[str, str]]:
    values: dict[str, Any] = {
        "value_amount": None,
        "currency": None,
        "start_date": None,
        "end_date": None,
        "original_end_date": None,
        "number_of_tenderers": None,
        "cpv_code": None,
    }
    return check_terms(**{**values, **kw})


def test_check_terms() -> None:
    assert _terms(value_amount=Decimal(0), currency="GBP") == []
    assert _terms(value_amount=Decimal(-1), currency="GBP") == [
        ("value_amount", "Value must be 0 or more")
    ]
    assert [f for f, _ in _terms(value_amount=Decimal(1))] == ["currency"]
    assert [f for f, _ in _terms(value_amount=Decimal("NaN"), currency="GBP")] == ["value_amount"]
    assert [f for f, _ in _terms(currency="GB")] == ["currency"]
    day = datetime.date(2024, 1, 1)
    assert _terms(start_date=day, end_date=day, original_end_date=day) == []
    earlier = datetime.date(2023, 12, 31)
    assert [f for f, _ in _terms(start_date=day, end_date=earlier)] == ["end_date"]
    assert [f for f, _ in _terms(start_date=day, original_end_date=earlier)] == [
        "original_end_date"
    ]
    assert [f for f, _ in _terms(number_of_tenderers=-1)] == ["number_of_tenderers"]
    assert _terms(cpv_code="48000000-8") == []
    assert [f for f, _ in _terms(cpv_code="4800000")] == ["cpv_code"]


@pytest.fixture
def service(db_session: Session) -> ContractService:
    return ContractService(db_session)


def test_every_problem_is_reported_at_once(service: ContractService) -> None:
    buyer = BuyerFactory.create()
    with pytest.raises(ContractError) as raised:
        service.create(
            ContractInput(
                title=" ",
                supplier="nobody at all",
                buyer_id=buyer.id,
                value_amount=Decimal(-1),
                currency="GBP",
                predecessor="NOPE",
            ),
            actor=Actor("officer", buyer.id),
        )
    assert [field for field, _ in raised.value.errors] == [
        "title",
        "supplier",
        "predecessor",
        "value_amount",
    ]


def test_officer_may_only_create_for_their_own_buyer(
    service: ContractService, db_session: Session
) -> None:
    mine, theirs = BuyerFactory.create(), BuyerFactory.create()
    supplier = SupplierFactory.create()
    data = ContractInput(title="T", supplier=str(supplier.id), buyer_id=theirs.id)
    with pytest.raises(ContractPermissionError):
        service.create(data, actor=Actor("officer", mine.id))
    for role in ("auditor", "supplier"):
        with pytest.raises(ContractPermissionError):
            service.create(data, actor=Actor(role))
    contract = service.create(data, actor=Actor("admin"))
    assert contract.publication == Publication.draft


def test_predecessor_loops_are_refused(service: ContractService) -> None:
    buyer = BuyerFactory.create()
    first = ContractFactory.create(buyer=buyer, publication=Publication.draft, reference="A")
    second = ContractFactory.create(buyer=buyer, predecessor=first, reference="B")
    data = ContractInput.from_contract(first)
    data.predecessor = "B"
    with pytest.raises(ContractError, match="the chain would loop"):
        service.update(first, data, actor=Actor("admin"))
    assert second.predecessor_id == first.id


def test_find_supplier_by_number_registry_id_or_name(service: ContractService) -> None:
    supplier = SupplierFactory.create(name="EMIS Health Ltd", companies_house_number="SC123456")
    supplier.normalised_name = "emis health"
    assert service.find_supplier("sc 123456") is supplier
    assert service.find_supplier(str(supplier.id)) is supplier
    assert service.find_supplier("EMIS HEALTH LIMITED") is supplier
    assert service.find_supplier("Someone else") is None


def test_chain_lists_predecessors_oldest_first_and_successors(service: ContractService) -> None:
    buyer = BuyerFactory.create()
    a = ContractFactory.create(buyer=buyer)
    b = ContractFactory.create(buyer=buyer, predecessor=a)
    c = ContractFactory.create(buyer=buyer, predecessor=b)
    d = ContractFactory.create(buyer=buyer, predecessor=c)
    assert service.chain(c) == ([a, b], [d])
    assert service.chain(a) == ([], [b, c, d])


def _permits(contract: Contract, principals: list[str], permission: str) -> bool:
    context = ContractContext.__new__(ContractContext)
    context.contract = contract
    context.__parent__ = RootFactory(None)  # type: ignore[arg-type]
    return bool(ACLHelper().permits(context, [Everyone, Authenticated, *principals], permission))


def test_contract_acl(db_session: Session) -> None:
    contract = ContractFactory.create()
    own = f"org:buyer:{contract.buyer_id}"
    other = f"org:buyer:{contract.buyer_id + 1}"
    write, drafts = Permissions.OfficerContractsWrite, Permissions.DraftsRead
    assert _permits(contract, ["role:officer", own], write)
    assert _permits(contract, ["role:officer", own], drafts)
    assert not _permits(contract, ["role:officer", other], write)
    assert not _permits(contract, ["role:officer", other], drafts)
    assert _permits(contract, ["role:admin"], write)
    assert not _permits(contract, ["role:auditor", own], write)
    assert _permits(contract, ["role:auditor"], drafts)
    assert not _permits(contract, ["role:supplier", "org:supplier:1"], write)
    assert not _permits(contract, [], write)
    # Everything else falls through to the site-wide ACL.
    assert _permits(contract, [], Permissions.PublicRead)
