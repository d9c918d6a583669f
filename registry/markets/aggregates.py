"""The one GROUP BY every market figure starts from: per market (and year), per supplier group,
the value in the market's currency, the contracts valued in it, the count basis and the contracts.

Values are never added across currencies. A market's currency is the currency of most of its
valued contracts (ties: GBP first, then alphabetical), worked out in SQL over the same contracts
the figures count (so over the window when there is one); contracts valued in another currency
are left out of the value figures and counted (`other_currency`). The count basis needs no
currency: the number of buyers, or of contracts in a buyer-wide market (`keys.count_basis`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Contract
from registry.contracts.queries import contract_year, public_contract, since
from registry.db import Unindexed
from registry.markets.keys import (
    MarketKey,
    kind_condition,
    market_column,
    market_condition,
    run_market_column,
)
from registry.suppliers.models import Supplier

PREFERRED_CURRENCY = "GBP"  # first among currencies tied for a market's most valued contracts


def currency_preference(contracts: Any, currency: Any) -> list[Any]:
    """The currency rule's order, for a window over one subject's currencies: most valued
    contracts first, then GBP, then alphabetical. Markets and the detectors share it."""
    return [contracts.desc(), sa.case((currency == PREFERRED_CURRENCY, 0), else_=1), currency]


def first_currency(counted: Any) -> Any:
    """From (market, currency, n) rows, each market's currency: most contracts, then GBP, then
    alphabetical. A subquery of (market, currency)."""
    c = counted.c
    ranked = sa.select(
        c.market,
        c.currency,
        sa.func.row_number()
        .over(
            partition_by=c.market,
            order_by=currency_preference(c.n, c.currency),
        )
        .label("currency_rank"),
    ).subquery()
    return (
        sa.select(ranked.c.market, ranked.c.currency)
        .where(ranked.c.currency_rank == 1)
        .subquery("market_currency")
    )


def _currency_counts(market: Any, amount: Any, currency: Any, where: list[Any]) -> Any:
    """Per market and currency, the valued contracts: what `first_currency` chooses from."""
    return (
        sa.select(market.label("market"), currency.label("currency"), sa.func.count().label("n"))
        .where(*where, amount.is_not(None), currency.is_not(None))
        .group_by(market, currency)
        .subquery()
    )


def _grouped(
    kind: str,
    *,
    market: Any,
    group_id: Any,
    buyer_id: Any,
    amount: Any,
    currency: Any,
    where: list[Any],
    frame: Callable[[sa.Select[Any]], sa.Select[Any]],
    by: list[Any],
    extra: Callable[[Any], list[Any]] = lambda value: [],
    currencies: Any = None,
) -> sa.Select[Any]:
    chosen = (
        first_currency(_currency_counts(market, amount, currency, where))
        if currencies is None
        else currencies
    )
    value = sa.case((currency == chosen.c.currency, amount), else_=sa.null())
    basis = sa.func.count() if kind == "buyer" else sa.func.count(sa.distinct(buyer_id))
    columns: list[Any] = [
        market.label("market"),
        group_id.label("group_id"),
        sa.cast(sa.func.sum(value), sa.Float).label("value"),
        sa.func.count(value).label("valued"),
        basis.label("buyers"),
        sa.func.count().label("contracts"),
        sa.func.max(chosen.c.currency).label("currency"),
        *extra(value),
        *by,
    ]
    query = frame(sa.select(*columns)).outerjoin(chosen, chosen.c.market == market)
    return query.where(*where).group_by(market, group_id, *by)


def aggregate_query(
    kind: str,
    depth: int,
    *,
    by_year: bool = False,
    only: str | None = None,
    since_year: int | None = None,
    within: Any = None,
    extra: Callable[[Any], list[Any]] = lambda value: [],
    currencies: Any = None,
) -> sa.Select[Any]:
    """Per market of one kind (or the one market `only`, or those a select of market values
    `within` names), per group (and year), over the published contracts. `extra(value)`: more
    aggregate columns, given the value expression. `currencies`: a table of (market, currency),
    as `market_currencies` selects them, staged by a caller that reads every market (joined to
    a subquery instead, SQLite scans all its rows once per contract)."""
    market = market_column(kind, depth)
    return _grouped(
        kind,
        market=market,
        group_id=Supplier.group_id,
        buyer_id=Contract.buyer_id,
        amount=Contract.value_amount,
        currency=Contract.currency,
        where=_scope(kind, depth, only, since_year, within),
        # Contracts first, their suppliers by key: SQLite otherwise walks the suppliers and
        # reads each one's contracts through an index, out of the table's order (slower over
        # many markets, as a detection run's are).
        frame=lambda q: q.select_from(Contract).join(
            Supplier, Supplier.id == Unindexed(Contract.supplier_id)
        ),
        by=[contract_year().label("year")] if by_year else [],
        extra=extra,
        currencies=currencies,
    )


def _scope(
    kind: str, depth: int, only: str | None, since_year: int | None, within: Any
) -> list[Any]:
    """The published contracts of one kind's markets (one market, those `within` selects)."""
    market = market_column(kind, depth)
    scope = (
        market_condition(MarketKey(kind, only), depth)
        if only is not None
        else kind_condition(kind, depth)
    )
    if within is not None:
        scope = sa.and_(scope, market.in_(within))
    return [public_contract(), since(since_year), scope]


def market_currencies(kind: str, depth: int, *, within: Any = None) -> sa.Select[Any]:
    """(market, currency): each market's currency, as `aggregate_query` chooses it."""
    counted = _currency_counts(
        market_column(kind, depth),
        Contract.value_amount,
        Contract.currency,
        _scope(kind, depth, None, None, within),
    )
    chosen = first_currency(counted)
    return sa.select(chosen.c.market, chosen.c.currency)


def stage_currencies(db: Any, kind: str, chosen: sa.Select[Any]) -> sa.Table:
    """Each market's currency (`chosen`: a select of (market, currency)), in a temporary table
    keyed by market, for the group rows to join by key. (Joined as a subquery, SQLite scanned
    every market's row for each contract: contracts x markets, 420 of 477 s at 100,000
    contracts and 20,000 buyer-wide markets.) The caller drops it."""
    table = sa.Table(
        "tmp_market_currency",
        sa.MetaData(),
        sa.Column("market", sa.String(8) if kind == "cpv" else sa.Integer, primary_key=True),
        sa.Column("currency", sa.String(3)),
        prefixes=["TEMPORARY"],
    )
    connection = db.connection()
    table.drop(connection, checkfirst=True)
    table.create(connection)
    db.execute(table.insert().from_select(["market", "currency"], chosen))
    if connection.dialect.name == "postgresql":
        db.execute(sa.text(f"ANALYZE {table.name}"))  # else planned as an empty table
    return table


def _run_scope(
    contracts: Any, kind: str, since_year: int | None, within: Any = None
) -> tuple[Any, list[Any]]:
    """A run contract's market of one kind, and the run contracts in the kind's markets (those
    a select of market values `within` names) and the window."""
    c = contracts.c
    market = run_market_column(contracts, kind)
    window = sa.true() if since_year is None else sa.or_(c.year >= since_year, c.year.is_(None))
    chosen = market.is_not(None) if within is None else market.in_(within)
    return market, [chosen, window]


def run_market_currencies(
    contracts: Any, kind: str, since_year: int | None, within: Any = None
) -> sa.Select[Any]:
    """(market, currency) over a detection run's contracts, as `run_aggregate_query` chooses."""
    market, where = _run_scope(contracts, kind, since_year, within)
    chosen = first_currency(
        _currency_counts(market, contracts.c.amount, contracts.c.currency, where)
    )
    return sa.select(chosen.c.market, chosen.c.currency)


def run_aggregate_query(
    contracts: Any,
    kind: str,
    since_year: int | None,
    currencies: Any = None,
    *,
    by_year: bool = False,
    extra: Callable[[Any], list[Any]] = lambda value: [],
    within: Any = None,
) -> sa.Select[Any]:
    """`aggregate_query` (per market and group, and year when `by_year`, every market of the
    kind, or those `within` names) over a detection run's published contracts
    (registry.flags.run_contracts.RUN_CONTRACTS). `currencies`: `run_market_currencies`
    staged (`stage_currencies`), as `aggregate_query` has them."""
    c = contracts.c
    market, where = _run_scope(contracts, kind, since_year, within)
    return _grouped(
        kind,
        market=market,
        group_id=c.group_id,
        buyer_id=c.buyer_id,
        amount=c.amount,
        currency=c.currency,
        where=where,
        frame=lambda q: q.select_from(contracts),
        by=[c.year.label("year")] if by_year else [],
        extra=extra,
        currencies=currencies,
    )


def market_currency(db: Any, key: MarketKey, depth: int) -> str | None:
    """One market's currency, as `aggregate_query` works it out; None without a valued contract."""
    counted = _currency_counts(
        market_column(key.kind, depth),
        Contract.value_amount,
        Contract.currency,
        [public_contract(), market_condition(key, depth)],
    )
    found: str | None = db.execute(sa.select(first_currency(counted).c.currency)).scalar()
    return found
