"""Framework money: a framework's or lot's ceiling is what may be bought through it, never what
was spent. Spend is always the sum of call-off contract values (published, not retracted, in
pounds); the ceiling is shown beside it as "ceiling use", with the contracts counted.

Why: summing framework ceilings as if they were spend inflates values about tenfold (issue 11).
"""

from __future__ import annotations

import dataclasses
import functools
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.queries import gbp_value, public_contract
from registry.figures.models import LotFigures
from registry.figures.reading import Computed
from registry.frameworks.models import Framework, Lot

METHOD = "spend = sum of published call-off values in pounds; ceiling use = spend / ceiling"


@dataclasses.dataclass(frozen=True)
class CeilingUse:
    """Call-off spend against a ceiling, and how many contracts the spend could count."""

    ceiling_amount: Decimal | None
    ceiling_currency: str | None
    spend: Decimal  # pounds
    contracts: int  # published call-offs
    valued: int  # of those, with a value in pounds: the ones summed

    @property
    def unvalued(self) -> int:
        return self.contracts - self.valued

    @property
    def share(self) -> float | None:
        """Spend over the ceiling, when both are in pounds and the ceiling is above zero."""
        if self.ceiling_amount is None or self.ceiling_currency != "GBP":
            return None
        if self.ceiling_amount <= 0:
            return None
        return float(self.spend / self.ceiling_amount)

    def as_json(self) -> dict[str, Any]:
        return {
            "ceiling_amount": float(self.ceiling_amount)
            if self.ceiling_amount is not None
            else None,
            "ceiling_currency": self.ceiling_currency,
            "call_off_value_gbp": float(self.spend),
            "call_off_contracts": self.contracts,
            "call_offs_valued_gbp": self.valued,
            "ceiling_use": round(self.share, 4) if self.share is not None else None,
        }


def call_off_columns(per: str) -> dict[str, Any]:
    """Correlated subqueries for the export: spend and call-offs of the published contracts on
    the outer row's lot (`per="lot"`) or on any lot of the outer row's framework."""
    if per == "lot":
        on: Any = Contract.lot_id == Lot.id
        lot = None
    else:
        lot = sa.orm.aliased(Lot)
        on = lot.framework_id == Framework.id

    def scalar(aggregate: Any) -> Any:
        query = sa.select(aggregate).where(on, public_contract())
        if lot is not None:
            query = query.join(lot, lot.id == Contract.lot_id)
        return query.scalar_subquery()

    return {
        "call_off_value_gbp": scalar(sa.func.coalesce(sa.func.sum(gbp_value()), 0)),
        "call_off_contracts": scalar(sa.func.count(Contract.id)),
        "call_offs_valued_gbp": scalar(sa.func.count(gbp_value())),
    }


Spend = dict[int, tuple[Decimal, int, int]]


def lot_spend(db: Session, lot_ids: list[int]) -> tuple[Spend, Computed | None]:
    """Per lot: call-off spend in pounds, published call-offs, and those with a value in pounds;
    and when they were stored (registry.figures). A lot without stored figures (made since the
    last refresh) is worked out now."""
    if not lot_ids:
        return {}, None
    stored = db.execute(_stored_lot_spend_statement(), {"lot_ids": lot_ids}).all()
    spend = {row[0]: (Decimal(row[1]), int(row[2]), int(row[3])) for row in stored}
    missing = [lot_id for lot_id in lot_ids if lot_id not in spend]
    if missing:
        rows = db.execute(_lot_spend_statement(), {"lot_ids": missing})
        spend.update(
            (lot_id, (Decimal(amount), int(n), int(valued))) for lot_id, amount, n, valued in rows
        )
    for lot_id in missing:  # no published call-off: nothing spent
        spend.setdefault(lot_id, (Decimal(0), 0, 0))
    return spend, Computed.of(stored)


@functools.cache
def _stored_lot_spend_statement() -> Any:
    f = LotFigures
    return sa.select(
        f.lot_id, f.spend, f.contracts, f.valued, f.method_version, f.computed_at
    ).where(f.lot_id.in_(sa.bindparam("lot_ids", expanding=True)))


@functools.cache
def _lot_spend_statement() -> Any:
    """lot_spend's statement, built once (the lots are bound when it runs)."""
    value = gbp_value()
    return (
        sa.select(
            Contract.lot_id,
            sa.func.coalesce(sa.func.sum(value), 0),
            sa.func.count(),
            sa.func.count(value),
        )
        .where(public_contract(), Contract.lot_id.in_(sa.bindparam("lot_ids", expanding=True)))
        .group_by(Contract.lot_id)
    )


def lot_ceiling_use(db: Session, lots: list[Lot]) -> dict[int, CeilingUse]:
    return lot_ceiling_use_computed(db, lots)[0]


def lot_ceiling_use_computed(
    db: Session, lots: list[Lot]
) -> tuple[dict[int, CeilingUse], Computed | None]:
    """`lot_ceiling_use`, and when its stored figures were computed (None: now)."""
    spend, computed = lot_spend(db, [lot.id for lot in lots])
    uses = {
        lot.id: CeilingUse(
            lot.ceiling_amount, lot.ceiling_currency, *spend.get(lot.id, (Decimal(0), 0, 0))
        )
        for lot in lots
    }
    return uses, computed


def framework_total(framework: Framework, uses: list[CeilingUse]) -> CeilingUse:
    """The framework's totals: call-off spend over all its lots, against its own ceiling."""
    return CeilingUse(
        framework.ceiling_amount,
        framework.ceiling_currency,
        sum((u.spend for u in uses), Decimal(0)),
        sum(u.contracts for u in uses),
        sum(u.valued for u in uses),
    )
