"""Which organisation a new user acts for: an officer's buyer, a supplier user's supplier."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.accounts.services import AccountError
from registry.authnz import Role
from registry.pickers.services import NotPicked, pick_buyer, pick_supplier


def find_organisation(db: Session, role: str, organisation: str) -> dict[str, int]:
    """{"buyer_id": id} for an officer, {"supplier_id": id} for a supplier user.

    The organisation is picked as the contract form picks it: officers' buyer by name, other
    name, identifier (e.g. an ODS code), OCDS party id or registry number; supplier users'
    supplier by name, other name, Companies House number, party id or registry number. A
    refusal lists the closest matches.
    """
    text = organisation.strip()
    if not text:
        raise AccountError("--organisation is empty")
    if role not in (Role.officer, Role.supplier):
        raise AccountError(f"A user with the role {role} does not act for an organisation")
    try:
        if role == Role.officer:
            return {"buyer_id": pick_buyer(db, text).id}
        supplier = pick_supplier(db, text)
    except NotPicked as refusal:
        raise AccountError(refusal.message) from None
    if supplier.merged_into_id is not None:
        raise AccountError(
            f"Supplier {supplier.id} ({supplier.name}) was merged into supplier "
            f"{supplier.merged_into_id}: use that record"
        )
    return {"supplier_id": supplier.id}
