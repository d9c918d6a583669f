"""Work out and store the per-record figures: one DELETE and one INSERT ... SELECT GROUP BY per
table, over every record or only those a scope names (ids, or a select of them).

`registry detect` refreshes the records whose contracts changed since its last run (by the
fingerprints of registry.changes.fingerprints), every record on a full run; a web write refreshes
the records it touched, in its own transaction (registry.figures.hooks). The pages read the rows
back with when and by which method version they were computed; a record without rows is worked
out live, as before.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.datause import use_columns
from registry.contracts.models import Contract
from registry.contracts.queries import gbp_value, public_contract
from registry.db import utcnow
from registry.figures import totals
from registry.figures.models import BuyerSupplierFigures, LotFigures, SupplierFigures
from registry.frameworks.models import Lot
from registry.suppliers.models import Supplier

# Bump when what the stored figures mean changes: the pages show it, and detection's settings
# fingerprint carries it, so the first run after a change recomputes every record.
METHOD_VERSION = "1"
USE_NAMES = ("contracts", "valued", "value", "no_value", "other_currency", "ceiling_only")

Scope = totals.Scope


def _uses() -> list[Any]:
    return [column.label(name) for column, name in zip(use_columns(), USE_NAMES, strict=True)]


def _stamp() -> list[Any]:
    return [
        sa.literal(METHOD_VERSION, sa.String).label("method_version"),
        sa.literal(utcnow(), SupplierFigures.computed_at.type).label("computed_at"),
    ]


def _amount() -> Any:
    return sa.func.coalesce(sa.func.sum(Contract.value_amount), 0)


def supplier_rows(*where: Any) -> sa.Select[Any]:
    """Each supplier's published contracts by buyer type and currency, most value first."""
    amount = _amount()
    return (
        sa.select(
            Contract.supplier_id,
            sa.func.row_number()
            .over(
                partition_by=Contract.supplier_id,
                order_by=[amount.desc(), Buyer.buyer_type, Contract.currency],
            )
            .label("position"),
            Buyer.buyer_type,
            Contract.currency,
            amount.label("amount"),
            *_uses(),
            *_stamp(),
        )
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .where(public_contract(), *where)
        .group_by(Contract.supplier_id, Buyer.buyer_type, Contract.currency)
    )


def buyer_rows(*where: Any) -> sa.Select[Any]:
    """Each buyer's published contracts with each of its suppliers."""
    return (
        sa.select(
            Contract.buyer_id,
            Contract.supplier_id,
            _amount().label("amount"),
            *_uses(),
            *_stamp(),
        )
        .where(public_contract(), *where)
        .group_by(Contract.buyer_id, Contract.supplier_id)
    )


def lot_rows(*where: Any) -> sa.Select[Any]:
    """Every lot's published call-offs (a row for a lot with none, too)."""
    value = gbp_value()
    return (
        sa.select(
            Lot.id.label("lot_id"),
            sa.func.count(Contract.id).label("contracts"),
            sa.func.count(value).label("valued"),
            sa.func.coalesce(sa.func.sum(value), 0).label("spend"),
            *_stamp(),
        )
        .outerjoin(Contract, sa.and_(Contract.lot_id == Lot.id, public_contract()))
        .where(*where)
        .group_by(Lot.id)
    )


def _refresh(db: Session, model: Any, key: str, rows: Any, source: Any, scope: Scope) -> None:
    table = model.__table__
    for where in totals.scope_wheres(scope):
        db.execute(sa.delete(table).where(where(table.c[key])))
        select = rows(where(source))
        db.execute(sa.insert(table).from_select(list(select.selected_columns.keys()), select))


def refresh_supplier_figures(db: Session, suppliers: Scope = None) -> None:
    """The suppliers' figures, then their totals (added up from those figures)."""
    _refresh(db, SupplierFigures, "supplier_id", supplier_rows, Contract.supplier_id, suppliers)
    totals.refresh_supplier_totals(db, _stamp(), suppliers)


def refresh_buyer_figures(db: Session, buyers: Scope = None) -> None:
    """The buyers' figures, then their totals."""
    _refresh(db, BuyerSupplierFigures, "buyer_id", buyer_rows, Contract.buyer_id, buyers)
    totals.refresh_buyer_totals(db, _stamp(), buyers)


def refresh_ratings(db: Session, suppliers: Scope, buyers: Scope) -> None:
    """The totals of suppliers and buyers whose assessments changed (their contracts did not:
    the contract counts are added up again from the figures as they are)."""
    totals.refresh_supplier_totals(db, _stamp(), suppliers)
    totals.refresh_buyer_totals(db, _stamp(), buyers)


def refresh_lot_figures(db: Session, lots: Scope = None) -> None:
    _refresh(db, LotFigures, "lot_id", lot_rows, Lot.id, lots)


@dataclasses.dataclass
class Refreshed:
    """How many records' figures a refresh stored (None: every record's)."""

    suppliers: int | None
    buyers: int | None
    lots: int | None

    def summary(self) -> str:
        def said(count: int | None, noun: str) -> str:
            return f"every {noun}" if count is None else f"{count:,} {noun}s"

        return (
            f"Supplier, buyer and lot figures stored for {said(self.suppliers, 'supplier')}, "
            f"{said(self.buyers, 'buyer')}, {said(self.lots, 'lot')}"
        )


def refresh_all(db: Session) -> Refreshed:
    refresh_supplier_figures(db)
    refresh_buyer_figures(db)
    refresh_lot_figures(db)
    return Refreshed(None, None, None)


def suppliers_of_buyers(buyers: Any) -> sa.Select[Any]:
    """The suppliers with a contract of one of `buyers` (a select of ids): a buyer's type is
    in each of its suppliers' figures."""
    return sa.select(Contract.supplier_id).where(Contract.buyer_id.in_(buyers)).distinct()


def buyer_types() -> sa.Select[Any]:
    """Each buyer's type as it is, a fingerprint for incremental detection (kind, subject,
    fingerprint): a buyer whose type changed changes its suppliers' figures by buyer type."""
    query = sa.select(
        sa.literal("buyer_type", sa.String).label("kind"),
        sa.cast(Buyer.id, sa.String).label("subject"),
        sa.cast(Buyer.buyer_type, sa.String).label("fingerprint"),
    )
    return typing.cast("sa.Select[Any]", query)


def _count(db: Session, scope: sa.Select[Any]) -> int:
    return int(db.execute(sa.select(sa.func.count()).select_from(scope.subquery())).scalar_one())


def refresh_changed(
    db: Session,
    groups: sa.Select[Any],
    buyers: sa.Select[Any],
    typed: sa.Select[Any],
    frameworks: sa.Select[Any],
) -> Refreshed:
    """Incremental detection: the records whose contracts changed (selects of the changed
    supplier groups, buyers and frameworks) and the suppliers of buyers whose type changed."""
    suppliers = sa.union(
        sa.select(Supplier.id).where(Supplier.group_id.in_(groups)), suppliers_of_buyers(typed)
    )
    supplier_ids = sa.select(suppliers.subquery().c[0])
    lots = sa.select(Lot.id).where(Lot.framework_id.in_(frameworks))
    refresh_supplier_figures(db, supplier_ids)
    refresh_buyer_figures(db, buyers)
    refresh_lot_figures(db, lots)
    return Refreshed(_count(db, supplier_ids), _count(db, buyers), _count(db, lots))
