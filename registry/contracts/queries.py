"""The rules every figure about contracts shares: which contracts count (published, not
retracted), their year, their value in pounds, and the window of years a figure looks at. Each is a
SQL expression that renders for both SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Contract
from registry.db import Unindexed
from registry.records import Publication


@functools.cache  # built once: the same immutable SQL every time, cheaper to reuse
def public_contract() -> sa.ColumnElement[bool]:
    """Published and not retracted: the only contracts any figure is computed from.

    Nearly every contract is published, so the publication index must not lead a lookup: on
    SQLite without planner statistics it otherwise beats the supplier, CPV or lot index that
    finds the few contracts a page asks about (Unindexed; PostgreSQL weighs it itself)."""
    return sa.and_(
        Unindexed(Contract.publication) == Publication.published, Contract.retracted_at.is_(None)
    )


@functools.cache
def contract_year() -> sa.ColumnElement[int]:
    """The award year, or the start year when the award date is unknown."""
    return sa.cast(
        sa.extract("year", sa.func.coalesce(Contract.award_date, Contract.start_date)), sa.Integer
    )


@functools.cache
def gbp_value() -> sa.ColumnElement[Any]:
    """The value when it is stated in pounds; null otherwise, so sums compare like with like."""
    return sa.case(
        (
            sa.and_(Contract.currency == "GBP", Contract.value_amount.is_not(None)),
            Contract.value_amount,
        ),
        else_=sa.null(),
    )


def since(year: int | None) -> sa.ColumnElement[bool]:
    """Contracts in the window: from `year` on, or undated (not known to be older)."""
    if year is None:
        return sa.true()
    return sa.or_(
        contract_year() >= year,
        sa.and_(Contract.award_date.is_(None), Contract.start_date.is_(None)),
    )
