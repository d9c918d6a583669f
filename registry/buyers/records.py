"""One way to make a buyer: the row every way in builds (the service, the seed and its GP
practices, the OCDS import), named by the one name rule (`registry.identifiers.record_name`)."""

from __future__ import annotations

from typing import Any

from registry.buyers.models import BuyerType
from registry.identifiers import RecordName


def buyer_row(
    name: RecordName,
    *,
    buyer_type: BuyerType,
    region: str | None = None,
    identifier_scheme: str | None = None,
    identifier: str | None = None,
    party_id: str | None = None,
    also_known_as: str | None = None,
    illustrative: bool = False,
) -> dict[str, Any]:
    """A new buyer's columns."""
    return {
        **name.columns(party_id=party_id, illustrative=illustrative),
        "buyer_type": buyer_type,
        "region": region,
        "identifier_scheme": identifier_scheme,
        "identifier": identifier,
        "also_known_as": also_known_as,
    }
