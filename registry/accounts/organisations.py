"""Which organisation a new user acts for: an officer's buyer, a supplier user's supplier."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.services import AccountError
from registry.authnz import Role
from registry.buyers.models import Buyer
from registry.integers import record_by_number
from registry.suppliers.models import Supplier
from registry.suppliers.services import find_by_number


def find_organisation(db: Session, role: str, organisation: str) -> dict[str, int]:
    """{"buyer_id": id} for an officer, {"supplier_id": id} for a supplier user.

    Officers: the buyer's registry number, identifier (e.g. an ODS code) or OCDS party id.
    Supplier users: the supplier's Companies House number, registry number or party id.
    """
    text = organisation.strip()
    if not text:
        raise AccountError("--organisation is empty")
    if role == Role.officer:
        return {"buyer_id": _buyer(db, text).id}
    if role == Role.supplier:
        return {"supplier_id": _supplier(db, text).id}
    raise AccountError(f"A user with the role {role} does not act for an organisation")


def _buyer(db: Session, text: str) -> Buyer:
    buyer = record_by_number(db, Buyer, text)
    if buyer is not None:
        return buyer
    matches = list(
        db.execute(
            sa.select(Buyer)
            .where(
                sa.or_(
                    Buyer.identifier == text,
                    Buyer.identifier == text.upper(),
                    Buyer.party_id == text,
                )
            )
            .order_by(Buyer.id)
            .limit(2)
        ).scalars()
    )
    if not matches:
        raise AccountError(
            f"No buyer has the registry number or identifier {text!r} "
            "(give the buyer's number, or its identifier such as an ODS code)"
        )
    if len(matches) > 1:
        raise AccountError(
            f"More than one buyer has the identifier {text!r}: give the buyer's registry number"
        )
    return matches[0]


def _supplier(db: Session, text: str) -> Supplier:
    supplier = find_by_number(db, text)
    if supplier is None:
        supplier = db.execute(
            sa.select(Supplier).where(Supplier.party_id == text).order_by(Supplier.id).limit(1)
        ).scalar_one_or_none()
    if supplier is None:
        raise AccountError(
            f"No supplier has the Companies House number, registry number or party id {text!r}"
        )
    if supplier.merged_into_id is not None:
        raise AccountError(
            f"Supplier {supplier.id} ({supplier.name}) was merged into supplier "
            f"{supplier.merged_into_id}: use that record"
        )
    return supplier
