"""How much of the data each figure could use: of a set of published contracts, how many a value
figure in one currency counts (pounds unless said otherwise: a market's figures are in the
market's currency), and why the others are left out (no value, another currency, or a framework
agreement whose value is a ceiling, not spend). One aggregate query per set.
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
from registry.contracts.queries import gbp_value, public_contract
from registry.suppliers.models import Supplier


@dataclasses.dataclass(frozen=True)
class DataUse:
    contracts: int = 0
    valued: int = 0  # with a value in the currency: what value figures count
    value: Decimal = Decimal(0)  # their sum, in the currency
    no_value: int = 0
    other_currency: int = 0
    ceiling_only: int = 0  # framework agreements: a ceiling, no call-off value
    currency: str | None = "GBP"  # None: no contract has a value

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
    return use_columns_in(gbp_value())


def use_columns_in(value: Any) -> tuple[Any, ...]:
    """`use_columns` for a value expression in another currency (null outside it)."""
    no_value = Contract.value_amount.is_(None)
    return (
        sa.func.count(Contract.id),
        sa.func.count(value),
        sa.func.coalesce(sa.func.sum(value), 0),
        sa.func.count(sa.case((no_value, 1))),
        # Valued, but not in the currency (another one, or none stated).
        sa.func.count(Contract.value_amount) - sa.func.count(value),
        sa.func.count(sa.case((sa.and_(no_value, Contract.ceiling_amount.is_not(None)), 1))),
    )


def use_of(row: Any) -> DataUse:
    n, valued, value, no_value, other, ceiling = row
    return DataUse(
        int(n), int(valued), Decimal(value or 0), int(no_value), int(other), int(ceiling)
    )


def add_up(uses: Iterable[DataUse]) -> DataUse:
    """The DataUse of disjoint sets of contracts taken together (in pounds, as each is)."""
    total = DataUse()
    counts = [f.name for f in dataclasses.fields(DataUse) if f.name != "currency"]
    for use in uses:
        total = dataclasses.replace(
            total, **{name: getattr(total, name) + getattr(use, name) for name in counts}
        )
    return total


def data_use(db: Session, *where: sa.ColumnElement[bool], by_group: bool = False) -> DataUse:
    """The published contracts matching `where` (joined to their supplier when `by_group`)."""
    query = sa.select(*use_columns()).where(public_contract(), *where)
    if by_group:
        query = query.join(Supplier, Supplier.id == Contract.supplier_id)
    return use_of(db.execute(query).one())


def data_use_in(db: Session, currency: str | None, *where: sa.ColumnElement[bool]) -> DataUse:
    """`data_use` with values counted in `currency` (None: no contract has a value)."""
    value = sa.case(
        (
            sa.and_(Contract.currency == currency, Contract.value_amount.is_not(None)),
            Contract.value_amount,
        ),
        else_=sa.null(),
    )
    query = sa.select(*use_columns_in(value)).where(public_contract(), *where)
    return dataclasses.replace(use_of(db.execute(query).one()), currency=currency)


def illustrative_in(db: Session, *where: sa.ColumnElement[bool]) -> int:
    """How many of the published contracts matching `where` are illustrative (invented or
    generated examples, like the seed's GP practices): a figure built on them is illustrative."""
    query = sa.select(sa.func.count(Contract.id)).where(
        public_contract(), Contract.illustrative.is_(True), *where
    )
    return int(db.execute(query).scalar_one())


def data_use_by(db: Session, column: Any, ids: list[int]) -> dict[int, DataUse]:
    """One DataUse per value of `column` (e.g. Contract.buyer_id) among `ids`."""
    if not ids:
        return {}
    rows = db.execute(
        sa.select(column, *use_columns()).where(public_contract(), column.in_(ids)).group_by(column)
    )
    return {row[0]: use_of(row[1:]) for row in rows}
