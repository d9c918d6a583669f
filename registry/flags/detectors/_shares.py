"""What the detectors that judge buyers and supplier groups share: the markets a contract is in
(a CPV prefix, a publisher's own classification, the buyer-wide market) and the one currency in
which a subject's value shares are computed.

The currency rule (the same as the market pages'): values are compared only within one currency.
A subject's currency is the currency of most of its valued contracts (ties: GBP first, then
alphabetical); its contracts in other currencies are left out of the value figures and counted;
nothing is ever added across currencies. Shares by number of contracts need no currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Classification
from registry.flags.detectors.base import coverage_select
from registry.flags.models import SubjectType
from registry.markets.cpv import cpv_name

# The buyer-wide market's label: every contract of one buyer, classified or not.
BUYER_WIDE = "all the buyer's contracts (buyer-wide)"


def _text(value: str) -> Any:
    return sa.literal(value, sa.String)


def classified_market(rc: Any) -> sa.ColumnElement[Any]:
    """The run contract's classified market key: `cpv-<prefix>`, or `cls-<classification id>`
    for a contract without a CPV code; null when it has neither (or a CPV code too short)."""
    return sa.func.coalesce(
        _text("cpv-") + rc.c.cpv_market,
        _text("cls-") + sa.cast(rc.c.classification_id, sa.String),
    )


def buyer_market(buyer_id: Any) -> sa.ColumnElement[Any]:
    """The buyer-wide market's key, `buyer-<buyer id>`."""
    return _text("buyer-") + sa.cast(buyer_id, sa.String)


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


def market_label_sql(market: Any) -> sa.ColumnElement[Any]:
    """A market key's label in SQL (for coverage rows): the CPV prefix, the classification's
    label, or the buyer-wide market. Needs an outer join to Classification (`join_labels`)."""
    cls_label = (
        Classification.label
        + _text(" (")
        + sa.func.coalesce(sa.func.nullif(Classification.scheme, ""), _text("description"))
        + _text(")")
    )
    return sa.case(
        (market.startswith("cpv-"), _text("CPV ") + sa.func.substr(market, 5)),
        (market.startswith("cls-"), sa.func.coalesce(cls_label, market)),
        else_=_text(BUYER_WIDE),
    )


def join_labels(query: sa.Select[Any], market: Any) -> sa.Select[Any]:
    """The outer join `market_label_sql` needs."""
    cls_id = sa.case(
        (market.startswith("cls-"), sa.cast(sa.func.substr(market, 5), sa.Integer)),
        else_=sa.null(),
    )
    return query.outerjoin(Classification, Classification.id == cls_id)


def market_labels(db: Any, keys: set[str]) -> dict[str, str]:
    """Each market key's label as a reader sees it (for findings, whose keys are few)."""
    ids = {int(k[4:]) for k in keys if k.startswith("cls-") and k[4:].isdigit()}
    classes = {}
    if ids:
        classes = {
            row.id: row
            for row in db.execute(
                sa.select(Classification.id, Classification.scheme, Classification.label).where(
                    Classification.id.in_(ids)
                )
            )
        }
    labels = {}
    for key in keys:
        kind, _, value = key.partition("-")
        if kind == "cpv":
            name = cpv_name(value)
            labels[key] = f"{name} (CPV {value})" if name else f"CPV {value}"
        elif kind == "cls" and value.isdigit() and int(value) in classes:
            row = classes[int(value)]
            labels[key] = f"{row.label} ({row.scheme or 'description'})"
        elif kind == "buyer":
            labels[key] = BUYER_WIDE
        else:
            labels[key] = key
    return labels


def buyer_group_market_coverage(
    pairs: Any,
    not_applicable: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
    checked_note: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
) -> sa.Select[Any]:
    """Coverage of buyer and supplier-group pairs in a market, from a subquery with buyer_id,
    group_id and market (its full key) columns; keys as the findings make them
    (buyer/group/market)."""
    from registry.buyers.models import Buyer  # the models import nothing from here
    from registry.suppliers.models import SupplierGroup

    market = pairs.c.market
    key = (
        sa.cast(pairs.c.buyer_id, sa.String)
        + _text("/")
        + sa.cast(pairs.c.group_id, sa.String)
        + _text("/")
        + market
    )
    label = Buyer.name + _text(" and ") + SupplierGroup.name + _text(" in ") + market_label_sql(market)
    columns = coverage_select(SubjectType.buyer_supplier, key, label, not_applicable, checked_note)
    query = (
        sa.select(*columns)
        .select_from(pairs)
        .join(Buyer, Buyer.id == pairs.c.buyer_id)
        .join(SupplierGroup, SupplierGroup.id == pairs.c.group_id)
    )
    return join_labels(query, market)
