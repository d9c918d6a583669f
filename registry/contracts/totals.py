"""Published contract totals per buyer or per supplier, worked out now: for records without stored
totals (registry.figures.totals) and the group page. Only what the public may see counts
(published and not retracted)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from registry.contracts.models import Contract
from registry.contracts.queries import public_contract


def published_totals(
    db: Session, party: InstrumentedAttribute[Any], ids: list[int]
) -> dict[int, tuple[int, Decimal]]:
    """(published contract count, value) for each of these buyers or suppliers, by id: `party`
    is `Contract.buyer_id` or `Contract.supplier_id`. One grouped query for a page of them."""
    if not ids:
        return {}
    rows = db.execute(
        sa.select(
            party,
            sa.func.count(Contract.id),
            sa.func.coalesce(sa.func.sum(Contract.value_amount), 0),
        )
        .where(public_contract(), party.in_(ids))
        .group_by(party)
    ).all()
    return {row[0]: (row[1], Decimal(row[2] or 0)) for row in rows}
