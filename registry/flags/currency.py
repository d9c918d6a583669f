"""The one currency a subject's value figures are computed in, set-based.

The currency rule (the same as the market pages'): values are compared only within one currency.
A subject's currency is the currency of most of its valued contracts (ties: GBP first, then
alphabetical); its contracts in other currencies are left out of the value figures and counted;
nothing is ever added across currencies. Shares by number of contracts need no currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def with_main_currency(
    per_currency: Any, subject: Sequence[str], counted: str = "contracts"
) -> sa.Subquery:
    """`per_currency` (rows by the `subject` columns, any finer detail, and `currency`, null for
    contracts without a value; `counted` counts the row's contracts) with `main_currency`: per
    subject, the currency of most of its valued contracts (ties: GBP, then alphabetical). Window
    functions over the one aggregate, so no join: the same one pass on SQLite and PostgreSQL."""
    keys = [per_currency.c[name] for name in subject]
    currency = per_currency.c.currency
    in_currency = sa.func.sum(per_currency.c[counted]).over(partition_by=[*keys, currency])
    ranked = sa.select(per_currency, in_currency.label("in_currency")).subquery()
    rc = ranked.c
    main = sa.func.first_value(rc.currency).over(
        partition_by=[rc[name] for name in subject],
        order_by=[
            sa.case((rc.currency.is_(None), 1), else_=0),
            rc.in_currency.desc(),
            sa.case((rc.currency == "GBP", 0), else_=1),
            rc.currency,
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
