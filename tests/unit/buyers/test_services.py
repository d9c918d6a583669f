"""The buyer service: validation per identifier scheme, uniqueness, audit."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from registry.audit.models import AuditEvent
from registry.buyers import includeme
from registry.buyers.interfaces import IBuyerService
from registry.buyers.models import Buyer, BuyerType
from registry.buyers.services import BuyerError, BuyerInput, BuyerService
from tests.common.db.core import BuyerFactory
from tests.common.services import registered_service


def test_service_implements_its_interface() -> None:
    assert verifyClass(IBuyerService, BuyerService)


def test_includeme_registers_the_service() -> None:
    assert isinstance(registered_service(includeme, IBuyerService), BuyerService)


def test_create_normalises_and_audits(db_session: Session) -> None:
    buyer = BuyerService(db_session).create(
        BuyerInput(
            name=" Leeds  Teaching Hospitals NHS Trust",
            buyer_type="NHS trust",
            region="North East and Yorkshire",
            identifier_scheme="gb-nhs-ods",
            identifier="rr8",
        ),
        actor=None,
    )
    assert buyer.name == "Leeds Teaching Hospitals NHS Trust"
    assert buyer.buyer_type == BuyerType.nhs_trust
    assert (buyer.identifier_scheme, buyer.identifier) == ("GB-NHS-ODS", "RR8")
    event = db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "buyer.created")
    ).scalar_one()
    assert event.subject_id == str(buyer.id)
    assert event.after["identifier"] == "RR8"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": " "}, "name", "Enter the buyer's name"),
        ({"buyer_type": "pub"}, "buyer_type", "Choose the type"),
        ({"identifier": "RR8"}, "identifier_scheme", "Enter the scheme"),
        ({"identifier_scheme": "GB-NHS-ODS"}, "identifier", "Enter the identifier"),
        ({"identifier_scheme": "GB-NHS-ODS", "identifier": "R-R8"}, "identifier", "ODS code must"),
        ({"identifier_scheme": "ods", "identifier": "RR8"}, "identifier_scheme", "like GB-NHS-ODS"),
    ],
)
def test_bad_input_is_refused(
    db_session: Session, data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(BuyerError) as exc:
        BuyerService(db_session).create(
            BuyerInput(**{"name": "A buyer", "buyer_type": "NHS trust", **data}), actor=None
        )
    assert message in dict(exc.value.errors)[field]
    assert db_session.execute(sa.select(sa.func.count(Buyer.id))).scalar_one() == 0


def test_identifiers_are_unique_per_scheme(db_session: Session) -> None:
    existing = BuyerFactory.create(identifier_scheme="GB-NHS-ODS", identifier="RR8")
    service = BuyerService(db_session)
    with pytest.raises(BuyerError) as exc:
        service.create(
            BuyerInput(
                name="Copy",
                buyer_type="NHS trust",
                identifier_scheme="GB-NHS-ODS",
                identifier="rr8",
            ),
            actor=None,
        )
    assert "already has the GB-NHS-ODS identifier RR8" in dict(exc.value.errors)["identifier"]
    # The same code in another scheme is another identifier.
    service.create(
        BuyerInput(
            name="Other",
            buyer_type="other public body",
            identifier_scheme="GB-XYZ",
            identifier="RR8",
        ),
        actor=None,
    )
    # Editing a buyer keeps its own identifier without tripping over itself.
    service.update(existing, BuyerInput.from_buyer(existing), actor=None)
    data = BuyerInput.from_buyer(existing)
    data.region = "London"
    data.name = "Renamed"
    service.update(existing, data, actor=None)
    event = db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "buyer.updated")
    ).scalar_one()
    assert event.after == {"name": "Renamed"}
    assert service.find("RR8") is None  # two schemes: ambiguous
    assert service.find(str(existing.id)) is existing
