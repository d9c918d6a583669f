"""The supplier service: validation, groups, matching. Merging is in test_merging.py."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from registry.audit.models import AuditEvent
from registry.suppliers import includeme
from registry.suppliers.interfaces import ISupplierService
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.services import SupplierError, SupplierInput, SupplierService
from tests.common.db.core import SupplierFactory, SupplierGroupFactory
from tests.common.services import registered_service


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _fields(exc: pytest.ExceptionInfo[SupplierError]) -> dict[str, str]:
    return dict(exc.value.errors)


def test_service_implements_its_interface() -> None:
    assert verifyClass(ISupplierService, SupplierService)


def test_includeme_registers_the_service() -> None:
    assert isinstance(registered_service(includeme, ISupplierService), SupplierService)


def test_create_makes_its_own_group_and_normalises(db_session: Session) -> None:
    service = SupplierService(db_session)
    supplier = service.create(
        SupplierInput(
            name="  EMIS  Health Ltd ",
            companies_house_number="3 113 109",
            duns="12-345-6789",
            aliases=["EMIS", "emis", "", "EMIS Health Ltd", "Egton Medical Information Systems"],
        ),
        actor=None,
    )
    assert supplier.name == "EMIS Health Ltd"
    assert supplier.normalised_name == "emis health"
    assert supplier.companies_house_number == "03113109"
    assert supplier.duns == "123456789"
    # Blank, repeated (any case) and same-as-name aliases are dropped.
    assert supplier.aliases == ["EMIS", "Egton Medical Information Systems"]
    assert supplier.group.name == "EMIS Health Ltd"
    assert [e.subject_id for e in _events(db_session, "supplier.created")] == [str(supplier.id)]
    assert [e.subject_id for e in _events(db_session, "supplier_group.created")] == [
        str(supplier.group_id)
    ]


def test_create_in_an_existing_or_new_group(db_session: Session) -> None:
    service = SupplierService(db_session)
    cegedim = SupplierGroupFactory.create(name="Cegedim")
    vision = service.create(
        SupplierInput(name="In Practice Systems", group_id=cegedim.id), actor=None
    )
    assert vision.group_id == cegedim.id
    other = service.create(
        SupplierInput(name="TPP", new_group_name="The Phoenix Partnership"), actor=None
    )
    assert other.group.name == "The Phoenix Partnership"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the supplier's name"),
        ({"companies_house_number": "ABC"}, "companies_house_number", "8 digits, or 2 letters"),
        ({"companies_house_number": "123456789"}, "companies_house_number", "8 digits"),
        ({"duns": "12345"}, "duns", "DUNS number must be 9 digits"),
        ({"group_id": 999999}, "group", "No supplier group has the number 999999"),
        ({"aliases": ["x" * 301]}, "aliases", "300 characters or fewer"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    db_session: Session, data: dict[str, Any], field: str, message: str
) -> None:
    before = db_session.execute(sa.select(sa.func.count(Supplier.id))).scalar_one()
    with pytest.raises(SupplierError) as exc:
        SupplierService(db_session).create(SupplierInput(**{"name": "Acme", **data}), actor=None)
    assert message in _fields(exc)[field]
    assert db_session.execute(sa.select(sa.func.count(Supplier.id))).scalar_one() == before
    assert _events(db_session, "supplier.created") == []


def test_duplicate_identifiers_are_refused(db_session: Session) -> None:
    SupplierFactory.create(companies_house_number="01234567", duns="123456789", party_id="GB-X-1")
    with pytest.raises(SupplierError) as exc:
        SupplierService(db_session).create(
            SupplierInput(
                name="Copy", companies_house_number="1234567", duns="123456789", party_id="GB-X-1"
            ),
            actor=None,
        )
    fields = _fields(exc)
    assert "already has the Companies House number 01234567" in fields["companies_house_number"]
    assert "already has the DUNS number" in fields["duns"]
    assert "already has the party identifier" in fields["party_id"]


def test_own_group_name_clash_is_explained(db_session: Session) -> None:
    SupplierGroupFactory.create(name="Acme")
    with pytest.raises(SupplierError) as exc:
        SupplierService(db_session).create(SupplierInput(name="acme"), actor=None)
    assert "A group called “acme” already exists" in _fields(exc)["group"]


def test_update_keeps_own_identifiers_and_audits_what_changed(db_session: Session) -> None:
    supplier = SupplierFactory.create(name="Old Name Ltd", companies_house_number="01234567")
    service = SupplierService(db_session)
    service.update(
        supplier,
        SupplierInput(name="New Name Ltd", companies_house_number="01234567", sme=True),
        actor=None,
    )
    assert supplier.normalised_name == "new name"
    (event,) = _events(db_session, "supplier.updated")
    assert event.before == {"name": "Old Name Ltd", "sme": False}
    assert event.after == {"name": "New Name Ltd", "sme": True}


def test_move_to_group_needs_a_reason_and_is_audited(db_session: Session) -> None:
    supplier = SupplierFactory.create()
    target = SupplierGroupFactory.create(name="Parent plc")
    service = SupplierService(db_session)
    with pytest.raises(SupplierError) as exc:
        service.move_to_group(supplier, target, reason=" ", actor=None)
    assert "reason" in _fields(exc)
    old_group = supplier.group_id
    service.move_to_group(supplier, target, reason="Acquired 2021", actor=None)
    assert supplier.group_id == target.id
    (event,) = _events(db_session, "supplier.group_changed")
    assert event.before["group_id"] == old_group
    assert event.after == {"group_id": target.id, "group": "Parent plc"}
    assert event.reason == "Acquired 2021"


def test_group_names_are_unique_regardless_of_case(db_session: Session) -> None:
    service = SupplierService(db_session)
    group = service.create_group("Cegedim", actor=None)
    with pytest.raises(SupplierError):
        service.create_group("CEGEDIM", actor=None)
    service.rename_group(group, "Cegedim SA", companies_house_number="FC123456", actor=None)
    assert (group.name, group.companies_house_number) == ("Cegedim SA", "FC123456")
    assert len(_events(db_session, "supplier_group.updated")) == 1
    with pytest.raises(SupplierError) as exc:
        service.rename_group(group, "Cegedim SA", companies_house_number="nope", actor=None)
    assert "companies_house_number" in _fields(exc)
    assert db_session.get(SupplierGroup, group.id) is group


def test_find_match_order_and_merged_records(db_session: Session) -> None:
    by_number = SupplierFactory.create(name="Alpha Ltd", companies_house_number="01234567")
    by_party = SupplierFactory.create(
        name="Beta Ltd", companies_house_number=None, party_id="GB-PPON-1"
    )
    by_name = SupplierFactory.create(
        name="Gamma Systems Limited", normalised_name="gamma systems", companies_house_number=None
    )
    service = SupplierService(db_session)
    # The Companies House number wins over the party id and the name.
    assert (
        service.find_match(companies_house_number="1234567", party_id="GB-PPON-1", name="Gamma")
        is by_number
    )
    assert service.find_match(party_id="GB-PPON-1", name="Gamma Systems Ltd") is by_party
    assert service.find_match(name="GAMMA SYSTEMS LTD") is by_name
    assert service.find_match(name="Delta") is None
    assert service.find_match(companies_house_number="bad") is None
    # A merged record resolves to the survivor.
    service.merge(by_party, by_number, reason="same company", actor=None)
    assert service.find_match(party_id="GB-PPON-1") is by_number
