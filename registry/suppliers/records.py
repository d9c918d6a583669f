"""One way to make a supplier: the row every way in builds (the service, the CSV import, the
seed, the OCDS import and the scoring seed), named by the one name rule
(`registry.identifiers.record_name`), so a supplier arriving by two ways is one record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.identifiers import RecordName


def supplier_row(
    name: RecordName,
    *,
    companies_house_number: str | None = None,
    duns: str | None = None,
    party_id: str | None = None,
    sme: bool | None = None,
    aliases: Iterable[str] = (),
    illustrative: bool = False,
) -> dict[str, Any]:
    """A new supplier's columns, but its group (an object, or an id once written, per way in)."""
    return {
        **name.columns(party_id=party_id, illustrative=illustrative),
        "companies_house_number": companies_house_number,
        "duns": duns,
        "sme": sme,
        "aliases": list(aliases),
    }
