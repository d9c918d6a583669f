"""Each market's figures, worked out for every market at once and stored by `registry detect`.

A market page at national scale would otherwise aggregate its contracts on every first sight
(hundreds of markets, each read once in a while). `refresh_market_figures` replaces the stored
figures with a few INSERT ... SELECTs over all markets (shares, ranks, HHI and concentration
ratios worked out in SQL, as `registry.markets.concentration` defines them); `stored_market`
reads one market's back, with when and by which method version they were computed. A market
without stored figures (imported since the last detection) is worked out live, as before.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.datause import DataUse, use_columns_in
from registry.db import utcnow
from registry.markets.aggregates import (
    aggregate_query,
    market_currencies,
    run_aggregate_query,
    run_market_currencies,
    stage_currencies,
)
from registry.markets.concentration import EMPTY, Concentration, Leading, Share
from registry.markets.keys import KINDS, MarketKey
from registry.markets.models import MarketFigures, MarketGroupFigures, MarketYearFigures
from registry.markets.services import GroupShare, Market, YearPoint, described, market_for
from registry.pagination import DEFAULT_PAGE_SIZE, Page
from registry.suppliers.models import SupplierGroup

# Bump when what the stored figures mean changes: the page shows it beside them.
# 2: every kind of market (classifications, buyer-wide), values in each market's one currency.
METHOD_VERSION = "2"
TOP_SHARES = 12  # the bar chart's groups on each basis


def _positive(column: Any) -> Any:
    return sa.case((column > 0, column), else_=0.0)


def _float(column: Any) -> Any:
    return sa.cast(column, sa.Float)


def _capped(column: Any) -> Any:
    """A concentration ratio, never above 1 (rounding), as `concentration._cr` has it."""
    return sa.case((column > 1.0, 1.0), else_=column)


def _ratios(prefix: str, share: Any, rank: Any) -> dict[str, Any]:
    return {
        f"{prefix}_cr{n}": _capped(sa.func.coalesce(sa.func.sum(sa.case((rank <= n, share))), 0.0))
        for n in (1, 2, 4)
    }


def _hhi(amount: Any, total: Any) -> Any:
    """10,000 x the sum of squared amounts over the squared total, as `concentration` does."""
    squares = _float(sa.func.sum(amount * amount))
    return sa.case((total > 0, 10_000.0 * squares / (_float(total) * _float(total))), else_=0.0)


def _use_columns(contracts: Any) -> Callable[[Any], list[Any]]:
    """The data-use counts (USE_NAMES) of a value expression, over the contracts table or, given
    one, a run's contracts (registry.flags.run_contracts.RUN_CONTRACTS)."""
    if contracts is None:
        return lambda value: [
            c.label(n) for c, n in zip(use_columns_in(value)[3:], USE_NAMES, strict=True)
        ]
    c = contracts.c
    return lambda value: [
        sa.func.count(sa.case((c.amount.is_(None), 1))).label("no_value"),
        (sa.func.count(c.amount) - sa.func.count(value)).label("other_currency"),
        sa.func.count(sa.case((c.ceiling_only == 1, 1))).label("ceiling_only"),
    ]


def _aggregate(
    kind: str, depth: int, within: Any, currencies: Any, contracts: Any, **kwargs: Any
) -> sa.Select[Any]:
    """`aggregate_query` over the contracts table, or over a run's contracts when given."""
    if contracts is None:
        return aggregate_query(kind, depth, within=within, currencies=currencies, **kwargs)
    return run_aggregate_query(contracts, kind, None, currencies, within=within, **kwargs)


def _group_rows(
    kind: str, depth: int, within: Any = None, currencies: Any = None, contracts: Any = None
) -> Any:
    """Every (market, group) of one kind (or of the markets `within` selects), with shares and
    ranks within the market (the page's order breaks ties by the group's name, as the live page
    does)."""
    groups = _aggregate(
        kind, depth, within, currencies, contracts, extra=_use_columns(contracts)
    ).subquery()
    market = sa.literal(f"{kind}-") + sa.cast(groups.c.market, sa.String)
    value = sa.func.coalesce(groups.c.value, 0.0)
    positive = _positive(value)
    by_market: dict[str, Any] = {"partition_by": groups.c.market}
    key = sa.cast(groups.c.group_id, sa.String)  # ties by the key as text, as `concentration`
    positive_total = sa.func.sum(positive).over(**by_market)
    return sa.select(
        market.label("market_key"),
        groups.c.group_id,
        sa.func.row_number()
        .over(
            **by_market,
            order_by=[
                groups.c.buyers.desc(),
                positive.desc(),
                SupplierGroup.name,
                groups.c.group_id,
            ],
        )
        .label("rank"),
        sa.func.row_number()
        .over(**by_market, order_by=[groups.c.buyers.desc(), key])
        .label("buyer_rank"),
        sa.func.row_number().over(**by_market, order_by=[positive.desc(), key]).label("value_rank"),
        groups.c.contracts,
        groups.c.valued.label("valued_contracts"),
        value.label("value"),
        groups.c.buyers,
        (_float(groups.c.buyers) / _float(sa.func.sum(groups.c.buyers).over(**by_market))).label(
            "buyer_share"
        ),
        sa.case((positive_total > 0, positive / _float(positive_total)), else_=0.0).label(
            "value_share"
        ),
        *(groups.c[name] for name in USE_NAMES),
        groups.c.currency,
    ).outerjoin(SupplierGroup, SupplierGroup.id == groups.c.group_id)


USE_NAMES = ("no_value", "other_currency", "ceiling_only")


def _year_rows(
    kind: str, depth: int, markets: Any = None, currencies: Any = None, contracts: Any = None
) -> Any:
    """Every (market, year) of one kind (or of the markets `markets` selects), its concentration
    both ways."""
    rows = _aggregate(kind, depth, markets, currencies, contracts, by_year=True).subquery()
    value = _positive(sa.func.coalesce(rows.c.value, 0.0))
    within: dict[str, Any] = {"partition_by": [rows.c.market, rows.c.year]}
    key = sa.cast(rows.c.group_id, sa.String)
    ranked = (
        sa.select(
            rows.c.market,
            rows.c.year,
            rows.c.contracts,
            rows.c.valued,
            rows.c.buyers,
            value.label("value"),
            sa.func.sum(rows.c.buyers).over(**within).label("buyers_total"),
            sa.func.sum(value).over(**within).label("value_total"),
            sa.func.row_number()
            .over(**within, order_by=[rows.c.buyers.desc(), key])
            .label("buyer_rank"),
            sa.func.row_number().over(**within, order_by=[value.desc(), key]).label("value_rank"),
        )
        .where(rows.c.year.is_not(None))
        .subquery()
    )
    r = ranked.c
    buyers_total = sa.func.max(r.buyers_total)
    value_total = sa.func.max(r.value_total)
    return sa.select(
        (sa.literal(f"{kind}-") + sa.cast(r.market, sa.String)).label("market_key"),
        r.year,
        sa.func.sum(r.contracts).label("contracts"),
        sa.func.sum(r.valued).label("valued_contracts"),
        sa.func.count().label("buyers_groups"),
        _hhi(r.buyers, buyers_total).label("buyers_hhi"),
        *(
            c.label(n)
            for n, c in _ratios(
                "buyers", _float(r.buyers) / _float(r.buyers_total), r.buyer_rank
            ).items()
        ),
        sa.func.count(sa.case((r.value > 0, 1))).label("value_groups"),
        _hhi(r.value, value_total).label("value_hhi"),
        *(
            c.label(n)
            for n, c in _ratios(
                "value",
                sa.case((r.value_total > 0, r.value / _float(r.value_total))),
                r.value_rank,
            ).items()
        ),
    ).group_by(r.market, r.year)


def _market_rows(staged: sa.Table, computed_at: datetime.datetime) -> Any:
    """Every market's totals and concentration, from its groups' staged rows."""
    g = staged.c
    positive = _positive(g.value)
    value_total = sa.func.coalesce(sa.func.sum(positive), 0.0)
    buyers_total = sa.func.sum(g.buyers)
    return sa.select(
        g.market_key,
        sa.func.sum(g.contracts).label("contracts"),
        sa.func.sum(g.valued_contracts).label("valued_contracts"),
        sa.func.count().label("groups"),
        value_total.label("value_total"),
        buyers_total.label("buyers_total"),
        _hhi(g.buyers, buyers_total).label("buyers_hhi"),
        *(c.label(n) for n, c in _ratios("buyers", g.buyer_share, g.buyer_rank).items()),
        sa.func.count(sa.case((g.value > 0, 1))).label("value_groups"),
        _hhi(positive, value_total).label("value_hhi"),
        *(c.label(n) for n, c in _ratios("value", g.value_share, g.value_rank).items()),
        *(sa.func.sum(g[name]).label(name) for name in USE_NAMES),
        sa.func.max(g.currency).label("currency"),
        sa.literal(METHOD_VERSION, sa.String).label("method_version"),
        sa.literal(computed_at, MarketFigures.computed_at.type).label("computed_at"),
    ).group_by(g.market_key)


def _values_of(kind: str, keys: Any) -> Any:
    """The market values of one kind among a select of market keys (`cpv-48` gives `48`)."""
    value: Any = sa.func.substr(keys.c.market_key, len(kind) + 2)
    if kind != "cpv":
        value = sa.cast(value, sa.Integer)
    return sa.select(value).where(keys.c.market_key.like(f"{kind}-%"))


def refresh_market_figures(db: Session, depth: int, only: Any = None, contracts: Any = None) -> int:
    """Replace every market's stored figures (every kind: CPV markets at `depth`, other
    classifications, framework lots, buyer-wide markets) with the published contracts' figures
    now, or only those of the markets whose keys the select `only` gives (incremental
    detection: the markets whose contracts changed); returns how many markets were stored.
    `contracts`: the published contracts at `depth` staged in one narrow table
    (registry.flags.run_contracts.RUN_CONTRACTS), read instead of joining contracts and
    suppliers three times per kind (without it, the changed markets' contracts are found
    through the contracts' indexes)."""
    computed_at = utcnow()
    keys = None if only is None else only.subquery()
    for model in (MarketFigures, MarketGroupFigures, MarketYearFigures):
        delete = sa.delete(model)
        if keys is not None:
            delete = delete.where(model.market_key.in_(sa.select(keys.c.market_key)))
        db.execute(delete)
    # The groups' rows, with the data-use counts the market rows add up, staged in a temporary
    # table: the market rows are read from it, not from the contracts again.
    staged = sa.Table(
        "tmp_market_groups",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in MarketGroupFigures.__table__.columns),
        *(sa.Column(name, sa.Integer) for name in USE_NAMES),
        sa.Column("currency", sa.String(3)),
        prefixes=["TEMPORARY"],
    )
    connection = db.connection()
    staged.drop(connection, checkfirst=True)
    staged.create(connection)
    try:
        for kind in KINDS:
            within = None if keys is None else _values_of(kind, keys)
            chosen = (
                market_currencies(kind, depth, within=within)
                if contracts is None
                else run_market_currencies(contracts, kind, None, within)
            )
            currencies = stage_currencies(db, kind, chosen)
            groups = _group_rows(kind, depth, within, currencies, contracts)
            db.execute(staged.insert().from_select(list(groups.selected_columns.keys()), groups))
            years = _year_rows(kind, depth, within, currencies, contracts)
            db.execute(
                sa.insert(MarketYearFigures).from_select(list(years.selected_columns.keys()), years)
            )
            currencies.drop(connection)
        columns = [c.name for c in MarketGroupFigures.__table__.columns]
        db.execute(
            sa.insert(MarketGroupFigures).from_select(
                columns, sa.select(*(staged.c[name] for name in columns))
            )
        )
        markets = _market_rows(staged, computed_at)
        db.execute(
            sa.insert(MarketFigures).from_select(list(markets.selected_columns.keys()), markets)
        )
    finally:
        staged.drop(connection)
    stored = sa.select(sa.func.count()).select_from(MarketFigures)
    if keys is not None:
        stored = stored.where(MarketFigures.market_key.in_(sa.select(keys.c.market_key)))
    return db.execute(stored).scalar_one()


@dataclasses.dataclass
class StoredMarket:
    market: Market
    years: list[YearPoint]
    use: DataUse
    method_version: str
    computed_at: datetime.datetime


def _concentration(
    row: Any, basis: str, total: float, count: int, shares: list[Share]
) -> Concentration:
    """A stored concentration (`basis`: "buyers" or "value"), listing only the largest shares."""
    if count == 0 or total <= 0:
        return EMPTY
    cr1, cr2, cr4 = (getattr(row, f"{basis}_cr{n}") for n in (1, 2, 4))
    hhi = getattr(row, f"{basis}_hhi")
    return Leading(
        total=total, shares=tuple(shares), hhi=hhi, cr1=cr1, cr2=cr2, cr4=cr4, count=count
    )


def _group_share(row: Any) -> GroupShare:
    return GroupShare(
        group_id=row.group_id,
        name=row.name or f"Group {row.group_id}",
        value=float(row.value),
        valued_contracts=int(row.valued_contracts),
        buyers=int(row.buyers),
        contracts=int(row.contracts),
        value_share=float(row.value_share),
        buyer_share=float(row.buyer_share),
    )


def _group_select() -> sa.Select[Any]:
    return sa.select(*MarketGroupFigures.__table__.columns, SupplierGroup.name).outerjoin(
        SupplierGroup, SupplierGroup.id == MarketGroupFigures.group_id
    )


def stored_market(db: Session, key: MarketKey, depth: int) -> StoredMarket | None:
    """One market's stored figures (the largest groups on each basis only: `group_page` pages
    through them all); None when it has none."""
    if key.kind == "cpv" and len(key.value) != depth:
        return None
    row = db.get(MarketFigures, str(key))
    if row is None:
        return None
    market = market_for(key, described(db, [key]))
    market.currency = row.currency
    market.contracts = row.contracts
    market.valued_contracts = row.valued_contracts
    market.group_count = row.groups
    top = [
        (r.buyer_rank, r.value_rank, _group_share(r))
        for r in db.execute(
            _group_select()
            .where(
                MarketGroupFigures.market_key == row.market_key,
                sa.or_(
                    MarketGroupFigures.buyer_rank <= TOP_SHARES,
                    MarketGroupFigures.value_rank <= TOP_SHARES,
                ),
            )
            .order_by(MarketGroupFigures.rank)
        )
    ]
    by_buyers = sorted((t for t in top if t[0] <= TOP_SHARES), key=lambda t: t[0])
    by_value = sorted((t for t in top if t[1] <= TOP_SHARES and t[2].value > 0), key=lambda t: t[1])
    market.by_buyers = _concentration(
        row,
        "buyers",
        row.buyers_total,
        row.groups,
        [Share(g.group_id, g.buyers, g.buyer_share) for _b, _v, g in by_buyers],
    )
    market.by_value = _concentration(
        row,
        "value",
        row.value_total,
        row.value_groups,
        [Share(g.group_id, g.value, g.value_share) for _b, _v, g in by_value],
    )
    market.groups = [g for _b, _v, g in top]
    years = [
        YearPoint(
            y.year,
            y.contracts,
            y.valued_contracts,
            _concentration(y, "value", 1.0, y.value_groups, []),  # the trend shows no shares
            _concentration(y, "buyers", 1.0, y.buyers_groups, []),
        )
        for y in db.execute(
            sa.select(MarketYearFigures)
            .where(MarketYearFigures.market_key == row.market_key)
            .order_by(MarketYearFigures.year)
        ).scalars()
    ]
    use = DataUse(
        contracts=row.contracts,
        valued=row.valued_contracts,
        value=Decimal(str(row.value_total)),
        no_value=row.no_value,
        other_currency=row.other_currency,
        ceiling_only=row.ceiling_only,
        currency=row.currency,
    )
    return StoredMarket(market, years, use, row.method_version, row.computed_at)


def group_page(
    db: Session, stored: StoredMarket, number: int, size: int = DEFAULT_PAGE_SIZE
) -> Page:
    """A page of the market's groups, largest first, as the live page orders them."""
    total = stored.market.group_count
    number = min(number, max(1, -(-total // size)))
    rows = db.execute(
        _group_select()
        .where(MarketGroupFigures.market_key == stored.market.key)
        .order_by(MarketGroupFigures.rank)
        .limit(size)
        .offset((number - 1) * size)
    )
    return Page([_group_share(r) for r in rows], number, size, total)
