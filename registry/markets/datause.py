"""How much of the data each figure could use: of a set of published contracts, how many a value
figure in pounds counts, and why the others are left out (no value, another currency, or a
framework agreement whose value is a ceiling, not spend). One aggregate query per set.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.flags.sql import gbp_value, public_contract
from registry.suppliers.models import Supplier


@dataclasses.dataclass(frozen=True)
class DataUse:
    contracts: int = 0
    valued: int = 0  # with a value in pounds: what value figures count
    value: Decimal = Decimal(0)  # their sum, in pounds
    no_value: int = 0
    other_currency: int = 0
    ceiling_only: int = 0  # framework agreements: a ceiling, no call-off value

    @property
    def left_out(self) -> int:
        return self.contracts - self.valued

    def as_json(self) -> dict[str, Any]:
        return {
            "contracts": self.contracts,
            "valued_gbp": self.valued,
            "value_gbp": float(self.value),
            "without_value": self.no_value,
            "other_currency": self.other_currency,
            "framework_ceiling_only": self.ceiling_only,
        }


@functools.cache  # the same columns every time: built once
def use_columns() -> tuple[Any, ...]:
    """count, valued, value, no value, other currency, ceiling only: `use_of` reads them."""
    value = gbp_value()
    no_value = Contract.value_amount.is_(None)
    return (
        sa.func.count(Contract.id),
        sa.func.count(value),
        sa.func.coalesce(sa.func.sum(value), 0),
        sa.func.count(sa.case((no_value, 1))),
        sa.func.count(
            sa.case((sa.and_(~no_value, sa.func.coalesce(Contract.currency, "") != "GBP"), 1))
        ),
        sa.func.count(sa.case((sa.and_(no_value, Contract.ceiling_amount.is_not(None)), 1))),
    )


def use_of(row: Any) -> DataUse:
    n, valued, value, no_value, other, ceiling = row
    return DataUse(
        int(n), int(valued), Decimal(value or 0), int(no_value), int(other), int(ceiling)
    )


def add_up(uses: Iterable[DataUse]) -> DataUse:
    """The DataUse of disjoint sets of contracts taken together."""
    total = DataUse()
    for use in uses:
        total = DataUse(
            *(getattr(total, f.name) + getattr(use, f.name) for f in dataclasses.fields(DataUse))
        )
    return total


def data_use(db: Session, *where: sa.ColumnElement[bool], by_group: bool = False) -> DataUse:
    """The published contracts matching `where` (joined to their supplier when `by_group`)."""
    query = sa.select(*use_columns()).where(public_contract(), *where)
    if by_group:
        query = query.join(Supplier, Supplier.id == Contract.supplier_id)
    return use_of(db.execute(query).one())


def data_use_by(db: Session, column: Any, ids: list[int]) -> dict[int, DataUse]:
    """One DataUse per value of `column` (e.g. Contract.buyer_id) among `ids`."""
    if not ids:
        return {}
    rows = db.execute(
        sa.select(column, *use_columns()).where(public_contract(), column.in_(ids)).group_by(column)
    )
    return {row[0]: use_of(row[1:]) for row in rows}
