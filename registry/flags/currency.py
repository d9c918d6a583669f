"""The one currency a subject's value figures are computed in, set-based.

The currency rule (the same as the market pages'): values are compared only within one currency.
A subject's currency is the currency of most of its valued contracts (ties: GBP first, then
alphabetical); its contracts in other currencies are left out of the value figures and counted;
nothing is ever added across currencies. Shares by number of contracts need no currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from registry.markets.aggregates import currency_preference


def with_main_currency(
    per_currency: Any,
    subject: Sequence[str],
    counted: str = "contracts",
    currencies: Sequence[str] | None = None,
) -> sa.Subquery:
    """`per_currency` (rows by the `subject` columns, any finer detail, and `currency`, null for
    contracts without a value; `counted` counts the row's contracts) with `main_currency`: per
    subject, the currency of most of its valued contracts (ties: GBP, then alphabetical). Window
    functions over the one aggregate, so no join: the same one pass on SQLite and PostgreSQL.

    `currencies`, when known, are every currency the rows can hold: with one (or none), as in
    most national data, it is every subject's currency and the windows are not needed."""
    if currencies is not None and len(currencies) <= 1:
        only = sa.literal(currencies[0] if currencies else None, sa.String)
        return sa.select(per_currency, only.label("main_currency")).subquery()
    keys = [per_currency.c[name] for name in subject]
    currency = per_currency.c.currency
    in_currency = sa.func.sum(per_currency.c[counted]).over(partition_by=[*keys, currency])
    ranked = sa.select(per_currency, in_currency.label("in_currency")).subquery()
    rc = ranked.c
    main = sa.func.first_value(rc.currency).over(
        partition_by=[rc[name] for name in subject],
        order_by=[
            sa.case((rc.currency.is_(None), 1), else_=0),
            *currency_preference(rc.in_currency, rc.currency),
        ],
    )
    return sa.select(ranked, main.label("main_currency")).subquery()


def in_main(rows: Any) -> sa.ColumnElement[bool]:
    """The row's contracts are valued in its subject's currency."""
    return sa.and_(rows.c.currency.is_not(None), rows.c.currency == rows.c.main_currency)


def in_other(rows: Any) -> sa.ColumnElement[bool]:
    """The row's contracts are valued in another currency: left out of the value figures."""
    return sa.and_(rows.c.currency.is_not(None), rows.c.currency != rows.c.main_currency)


def sum_if(condition: sa.ColumnElement[bool], column: Any) -> sa.ColumnElement[Any]:
    return sa.func.sum(sa.case((condition, column)))


def in_one_currency(
    source: Any,
    keys: Sequence[str],
    subject: Sequence[str],
    currencies: Sequence[str] | None,
    flags: Mapping[str, Any] | None = None,
) -> sa.Subquery:
    """`source` (one row per contract, with `amount` and `currency`) summed by `keys`, its
    values in the currency of its `subject` (a prefix of `keys`): columns `keys`, `currency`,
    `contracts`, `value` (in that currency), `valued` (contracts valued in it) and `other`
    (contracts valued in other currencies, left out); for each of `flags` (name: a condition
    on source's rows), `<name>_contracts` and `<name>_value`. With one currency in `currencies`
    (most national data) it is one GROUP BY; otherwise the main currency is found by window
    functions (`with_main_currency`) and the sums split by it."""
    flags = flags or {}
    columns = [source.c[name] for name in keys]
    amount = source.c.amount
    if currencies is not None and len(currencies) <= 1:
        only = sa.literal(currencies[0] if currencies else None, sa.String)
        valued = source.c.currency.is_not(None)  # a value without a currency is not counted
        flagged = []
        for name, condition in flags.items():
            flagged += [
                sa.func.count(sa.case((condition, 1))).label(f"{name}_contracts"),
                sum_if(sa.and_(condition, valued), amount).label(f"{name}_value"),
            ]
        return (
            sa.select(
                *columns,
                only.label("currency"),
                sa.func.count().label("contracts"),
                sum_if(valued, amount).label("value"),
                sa.func.count(sa.case((valued, 1))).label("valued"),
                sa.literal(0).label("other"),
                *flagged,
            )
            .group_by(*columns)
            .subquery()
        )
    per_currency_flags = []
    for name, condition in flags.items():
        per_currency_flags += [
            sa.func.count(sa.case((condition, 1))).label(f"{name}_contracts"),
            sum_if(condition, amount).label(f"{name}_amount"),
        ]
    per_currency = (
        sa.select(
            *columns,
            source.c.currency,
            sa.func.count().label("contracts"),
            sa.func.sum(amount).label("amount"),
            *per_currency_flags,
        )
        .group_by(*columns, source.c.currency)
        .subquery()
    )
    rows = with_main_currency(per_currency, subject)
    main = in_main(rows)
    split = []
    for name in flags:
        split += [
            sa.func.sum(rows.c[f"{name}_contracts"]).label(f"{name}_contracts"),
            sum_if(main, rows.c[f"{name}_amount"]).label(f"{name}_value"),
        ]
    by = [rows.c[name] for name in keys]
    return (
        sa.select(
            *by,
            rows.c.main_currency.label("currency"),
            sa.func.sum(rows.c.contracts).label("contracts"),
            sum_if(main, rows.c.amount).label("value"),
            sa.func.coalesce(sum_if(main, rows.c.contracts), 0).label("valued"),
            sa.func.coalesce(sum_if(in_other(rows), rows.c.contracts), 0).label("other"),
            *split,
        )
        .group_by(*by, rows.c.main_currency)
        .subquery()
    )


def judged_by(
    by_value: bool,
    currency: str | None,
    value_share: float | None,
    contract_share: float,
    other: int,
) -> tuple[str, dict[str, Any]]:
    """How a share was judged, by value in `currency` or by number of contracts: the words a
    subject's label ends with, and the metrics naming the basis, both shares, the currency and
    the contracts in other currencies left out."""
    words = f"value in {currency}" if by_value else "number of contracts"
    if by_value and other:
        words += f"; {other} contract{'s' if other != 1 else ''} in other currencies left out"
    return words, {
        "basis": "value" if by_value else "contracts",
        "share": value_share if by_value else contract_share,
        "value_share": value_share,
        "contract_share": contract_share,
        "currency": currency,
        "other_currency_contracts": other,
    }
