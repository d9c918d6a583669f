"""Stored totals per supplier and per buyer: published contracts (added up from the record's
stored figures, so refresh those first) and published ratings (from the assessments). One row
per record, zeros included, so the list pages read a page of rows by key and sort by an index,
and the buyer page and the supplier's scorecard count ratings without reading the assessments.

Refreshed where the record figures are (registry.figures.services, .hooks) and by `registry
score` for the suppliers whose assessments changed and those suppliers' buyers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from registry.buyers.models import Buyer
from registry.contracts.totals import published_totals
from registry.figures.models import (
    BuyerSupplierFigures,
    BuyerTotals,
    SupplierFigures,
    SupplierTotals,
)
from registry.figures.reading import Computed
from registry.scoring.assessments.evidence import rating_columns
from registry.scoring.assessments.models import Assessment
from registry.sql import in_chunks
from registry.suppliers.models import Supplier

CHUNK = 5000  # ids per IN (...), well under SQLite's bound-parameter limit

Scope = Collection[int] | sa.Select[Any] | None  # ids, a select of ids, or None: every record
Where = Callable[[Any], Any]  # a column of ids -> the condition that it is in the scope


def scope_wheres(scope: Scope) -> Iterator[Where]:
    """One condition-maker per chunk of the scope (one for a select, one for every record):
    the same chunk is applied to each column it is given."""
    if scope is None:
        yield lambda column: sa.true()
    elif isinstance(scope, sa.Select):
        yield lambda column: column.in_(scope)
    else:
        for chunk in in_chunks(sorted(scope), CHUNK):
            yield lambda column, chunk=chunk: column.in_(chunk)  # type: ignore[misc]


def _rows(
    record: Any, figures: Any, figures_key: Any, rated_key: Any, stamp: list[Any], where: Where
) -> sa.Select[Any]:
    contracts = (
        sa.select(
            figures_key.label("key"),
            sa.func.sum(figures.contracts).label("contracts"),
            sa.func.sum(figures.amount).label("value"),
        )
        .where(where(figures_key))
        .group_by(figures_key)
        .subquery()
    )
    columns = rating_columns()
    rated = (
        sa.select(rated_key.label("key"), *(c.label(name) for name, c in columns.items()))
        .where(where(rated_key))
        .group_by(rated_key)
        .subquery()
    )
    return (
        sa.select(
            record.id,
            sa.func.coalesce(contracts.c.contracts, 0).label("contracts"),
            sa.func.coalesce(contracts.c.value, 0).label("value"),
            *(sa.func.coalesce(rated.c[name], 0).label(name) for name in columns),
            *stamp,
        )
        .outerjoin(contracts, contracts.c.key == record.id)
        .outerjoin(rated, rated.c.key == record.id)
        .where(where(record.id))
    )


def _refresh(db: Session, model: Any, key: str, rows: Callable[[Where], Any], scope: Scope) -> None:
    table = model.__table__
    for where in scope_wheres(scope):
        db.execute(sa.delete(table).where(where(table.c[key])))
        select = rows(where)
        names = [key, *list(select.selected_columns.keys())[1:]]
        db.execute(sa.insert(table).from_select(names, select))


def refresh_supplier_totals(db: Session, stamp: list[Any], suppliers: Scope = None) -> None:
    def rows(where: Where) -> sa.Select[Any]:
        f = SupplierFigures
        return _rows(Supplier, f, f.supplier_id, Assessment.supplier_id, stamp, where)

    _refresh(db, SupplierTotals, "supplier_id", rows, suppliers)


def refresh_buyer_totals(db: Session, stamp: list[Any], buyers: Scope = None) -> None:
    def rows(where: Where) -> sa.Select[Any]:
        f = BuyerSupplierFigures
        return _rows(Buyer, f, f.buyer_id, Assessment.buyer_id, stamp, where)

    _refresh(db, BuyerTotals, "buyer_id", rows, buyers)


def buyers_rated(suppliers: Any) -> sa.Select[Any]:
    """The buyers of the assessments of `suppliers` (a select of ids): a change to a supplier's
    assessments changes those buyers' ratings."""
    return (
        sa.select(Assessment.buyer_id)
        .where(Assessment.supplier_id.in_(suppliers), Assessment.buyer_id.is_not(None))
        .distinct()
    )


# -- reading ----------------------------------------------------------------------------------

TotalsRow = tuple[int, Decimal]


def stored_totals(
    db: Session, model: Any, party: InstrumentedAttribute[Any], ids: list[int]
) -> tuple[dict[int, TotalsRow], Computed | None]:
    """(published contracts, value) for a page of suppliers or buyers (`model` SupplierTotals or
    BuyerTotals, `party` Contract.supplier_id or Contract.buyer_id), by id, from their stored
    rows, and when the oldest was computed; a record without one (recorded since the last
    refresh) is worked out now."""
    if not ids:
        return {}, None
    key = model.__table__.primary_key.columns.values()[0]
    rows = db.execute(
        sa.select(key, model.contracts, model.value, model.method_version, model.computed_at).where(
            key.in_(ids)
        )
    ).all()
    totals = {row[0]: (row[1], Decimal(row[2] or 0)) for row in rows}
    missing = [i for i in ids if i not in totals]
    if missing:
        totals.update(published_totals(db, party, missing))
    return totals, Computed.of(rows)


def by_value(query: sa.Select[Any], model: Any, record: Any) -> sa.Select[Any]:
    """`query` (of suppliers or buyers) sorted by the stored value, most first: the index on
    it, not every contract (a record not refreshed yet sorts as none)."""
    key = model.__table__.primary_key.columns.values()[0]
    return query.outerjoin(model, key == record.id).order_by(
        sa.func.coalesce(model.value, 0).desc()
    )
