"""Where national buying would pay: per supplier group, market and year, the buyers that each
buy separately, with their number, total and median spend, and the spread of unit prices.

A market is a CPV prefix, a framework lot, or a publisher's own classification (`cls-<id>`, for
contracts without a CPV code), as on the market pages. A buyer buys separately when it holds its
own published contract with the group in that market that year; NHS national bodies are left
out, since their contracts are the national route itself. Spend is summed within one currency:
that of most of the valued contracts of the market, group and year (ties: GBP, then
alphabetical); contracts in other currencies are left out and counted, and missing values are
not summed. The median is over the buyers whose spend is known, computed in SQL with window
functions so it runs on SQLite and PostgreSQL. Unit prices are compared in pounds only.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Contract
from registry.contracts.queries import contract_year, public_contract, since
from registry.flags.currency import in_main, in_other, sum_if, with_main_currency
from registry.markets.services import MarketKey, market_labels
from registry.products.models import ContractProduct, Product
from registry.suppliers.models import Supplier, SupplierGroup

METHOD_VERSION = "aggregation-2"
# The national route: their contracts are what aggregation would look like, not separate buying.
NATIONAL_BUYERS = (BuyerType.nhs_national,)
KINDS = ("cpv", "lot", "cls")


@dataclasses.dataclass(frozen=True)
class PriceSpread:
    product_id: int
    product: str
    unit: str | None
    priced: int
    low: float
    high: float

    @property
    def ratio(self) -> float | None:
        """How many times the lowest price the highest is."""
        return round(self.high / self.low, 2) if self.low > 0 else None


@dataclasses.dataclass
class Opportunity:
    market_key: str
    market_label: str
    group_id: int
    group: str
    year: int
    buyers: int
    contracts: int
    valued_buyers: int
    total_value: float | None
    median_value: float | None
    currency: str | None = None  # of the spend figures
    other_currency_contracts: int = 0  # left out of them
    prices: list[PriceSpread] = dataclasses.field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        return {
            "market": self.market_key,
            "market_label": self.market_label,
            "year": self.year,
            "buyers": self.buyers,
            "contracts": self.contracts,
            "total_value": self.total_value,
            "median_buyer_value": self.median_value,
            "buyers_with_value": self.valued_buyers,
            "currency": self.currency,
            "other_currency_contracts": self.other_currency_contracts,
            "price_spread": [
                {
                    "product": p.product,
                    "unit": p.unit,
                    "priced_contracts": p.priced,
                    "lowest_unit_price": p.low,
                    "highest_unit_price": p.high,
                    "ratio": p.ratio,
                }
                for p in self.prices
            ],
            "method": METHOD_VERSION,
        }


def _market(kind: str, depth: int) -> sa.ColumnElement[Any]:
    if kind == "cpv":
        return sa.func.substr(Contract.cpv_code, 1, depth)
    if kind == "cls":
        return sa.cast(Contract.classification_id, sa.Integer)
    return sa.cast(Contract.lot_id, sa.Integer)


def _run_market(contracts: Any, kind: str) -> Any:
    """The market column of a detection run's contracts (classification only without CPV)."""
    c = contracts.c
    return {"cpv": c.cpv_market, "lot": c.lot_id, "cls": c.classification_id}[kind]


def _scope(kind: str, depth: int, since_year: int | None, year: int | None) -> list[Any]:
    """The contracts counted: published, in the window, by buyers that buy for themselves."""
    conditions: list[Any] = [
        public_contract(),
        since(since_year),
        contract_year().is_not(None),
        Buyer.buyer_type.not_in(NATIONAL_BUYERS),
    ]
    if year is not None:
        conditions.append(contract_year() == year)
    conditions.append(_in_market(kind, depth))
    return conditions


def _run_scope(contracts: Any, kind: str, since_year: int | None, year: int | None) -> list[Any]:
    """`_scope` on a detection run's published contracts (RUN_CONTRACTS)."""
    c = contracts.c
    conditions: list[Any] = [
        c.year.is_not(None),  # which also makes the window's "or undated" moot
        c.separate == 1,
        _run_market(contracts, kind).is_not(None),
    ]
    if since_year is not None:
        conditions.append(c.year >= since_year)
    if year is not None:
        conditions.append(c.year == year)
    return conditions


def _in_market(kind: str, depth: int) -> sa.ColumnElement[bool]:
    """The contract belongs to a market of this kind: a CPV code that long, or a lot."""
    if kind == "cpv":
        return sa.func.length(Contract.cpv_code) >= depth
    if kind == "cls":
        return sa.and_(Contract.cpv_code.is_(None), Contract.classification_id.is_not(None))
    return Contract.lot_id.is_not(None)


def separate_buying_query(
    kind: str,
    depth: int,
    *,
    min_buyers: int,
    since_year: int | None = None,
    year: int | None = None,
    contracts: Any = None,
    currencies: Sequence[str] | None = None,
) -> sa.Select[Any]:
    """The universe and the figures: one row per market, supplier group and year with at least
    `min_buyers` separate buyers. `contracts`: a detection run's published contracts
    (registry.flags.run_contracts.RUN_CONTRACTS at this depth), read instead of the contracts table;
    `currencies`: every currency they hold, when known (`with_main_currency`)."""
    if contracts is not None:
        c = contracts.c
        market: Any = _run_market(contracts, kind).label("market")
        per_currency = (
            sa.select(
                market,
                c.group_id,
                c.year,
                c.buyer_id,
                c.currency,
                sa.func.sum(c.amount).label("amount"),
                sa.func.count().label("contracts"),
            )
            .where(*_run_scope(contracts, kind, since_year, year))
            .group_by(market, c.group_id, c.year, c.buyer_id, c.currency)
        )
    else:
        market = _market(kind, depth).label("market")
        the_year = contract_year().label("year")
        currency = sa.case(
            (Contract.value_amount.is_not(None), Contract.currency), else_=sa.null()
        ).label("currency")
        per_currency = (
            sa.select(
                market,
                Supplier.group_id,
                the_year,
                Contract.buyer_id,
                currency,
                sa.func.sum(Contract.value_amount).label("amount"),
                sa.func.count().label("contracts"),
            )
            .join(Supplier, Supplier.id == Contract.supplier_id)
            .join(Buyer, Buyer.id == Contract.buyer_id)
            .where(*_scope(kind, depth, since_year, year))
            .group_by(market, Supplier.group_id, the_year, Contract.buyer_id, currency)
        )
    # Spend in the currency of most of the market, group and year's valued contracts.
    rows = with_main_currency(
        per_currency.subquery(),
        ["market", "group_id", "year"],
        currencies=currencies,
    )
    per_buyer_rows = sa.select(
        rows.c.market,
        rows.c.group_id,
        rows.c.year,
        rows.c.buyer_id,
        rows.c.main_currency,
        sum_if(in_main(rows), rows.c.amount).label("spend"),
        sa.func.sum(rows.c.contracts).label("contracts"),
        sa.func.coalesce(sum_if(in_other(rows), rows.c.contracts), 0).label("other"),
    ).group_by(rows.c.market, rows.c.group_id, rows.c.year, rows.c.buyer_id, rows.c.main_currency)
    per_buyer = per_buyer_rows.cte("per_buyer")  # read twice below: computed once
    key = [per_buyer.c.market, per_buyer.c.group_id, per_buyer.c.year]
    totals = (
        sa.select(
            *key,
            sa.func.count().label("buyers"),
            sa.func.sum(per_buyer.c.contracts).label("contracts"),
            sa.func.count(per_buyer.c.spend).label("valued_buyers"),
            sa.func.sum(per_buyer.c.spend).label("total_value"),
            sa.func.max(per_buyer.c.main_currency).label("currency"),  # one per key
            sa.func.sum(per_buyer.c.other).label("other_currency_contracts"),
        )
        .group_by(*key)
        .having(sa.func.count() >= min_buyers)
        .cte("totals")
    )
    # The median of the buyers' known spend: the middle row (or the two middle rows) by rank.
    ranked = (
        sa.select(
            *key,
            per_buyer.c.spend,
            sa.func.row_number()
            .over(partition_by=key, order_by=[per_buyer.c.spend, per_buyer.c.buyer_id])
            .label("rank"),
            sa.func.count().over(partition_by=key).label("n"),
        )
        # Only the rows that qualified are ranked: most partitions are far below the minimum.
        .join(
            totals,
            sa.and_(
                totals.c.market == per_buyer.c.market,
                totals.c.group_id == per_buyer.c.group_id,
                totals.c.year == per_buyer.c.year,
            ),
        )
        .where(per_buyer.c.spend.is_not(None))
        .subquery()
    )
    median = (
        sa.select(
            ranked.c.market,
            ranked.c.group_id,
            ranked.c.year,
            sa.func.avg(ranked.c.spend).label("median_value"),
        )
        .where(ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.market, ranked.c.group_id, ranked.c.year)
        .subquery()
    )
    return sa.select(totals, median.c.median_value).outerjoin(
        median,
        sa.and_(
            median.c.market == totals.c.market,
            median.c.group_id == totals.c.group_id,
            median.c.year == totals.c.year,
        ),
    )


def _separate_counts(separate: Any, dated: Any, contract_id: Any, buyer_id: Any) -> list[Any]:
    """A market and group's contracts bought separately (not the national route), those of them
    undated, and the separate buyers of the dated ones: over the run's contracts or the tables."""
    return [
        sa.func.count(sa.case((separate, contract_id))).label("separate_contracts"),
        sa.func.count(sa.case((sa.and_(separate, ~dated), contract_id))).label("undated"),
        sa.func.count(sa.distinct(sa.case((sa.and_(separate, dated), buyer_id)))).label(
            "separate_buyers"
        ),
    ]


def groups_in_markets_query(
    kind: str, depth: int, since_year: int | None = None, contracts: Any = None
) -> sa.Select[Any]:
    """The aggregation detector's coverage universe: every market and supplier group with a
    published contract in the window, with how many of its contracts were the national route or
    undated, and how many separate buyers it had over the whole window. `contracts`: as for
    `separate_buying_query`."""
    if contracts is not None:
        c = contracts.c
        market = _run_market(contracts, kind)
        run_separate = c.separate == 1
        run_dated = c.year.is_not(None)
        window = sa.true() if since_year is None else sa.or_(c.year >= since_year, ~run_dated)
        return (
            sa.select(
                market.label("market"),
                c.group_id,
                *_separate_counts(run_separate, run_dated, c.id, c.buyer_id),
            )
            .where(market.is_not(None), window)
            .group_by(market, c.group_id)
        )
    market = _market(kind, depth).label("market")
    separate = Buyer.buyer_type.not_in(NATIONAL_BUYERS)
    dated = contract_year().is_not(None)
    return (
        sa.select(
            market,
            Supplier.group_id,
            *_separate_counts(separate, dated, Contract.id, Contract.buyer_id),
        )
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .where(public_contract(), since(since_year), _in_market(kind, depth))
        .group_by(market, Supplier.group_id)
    )


def _prices(
    db: Session, kind: str, depth: int, since_year: int | None, year: int | None
) -> dict[tuple[str, int, int], list[PriceSpread]]:
    """Unit prices in pounds from the contracts' product lines, per market, group and year."""
    market = _market(kind, depth).label("market")
    the_year = contract_year().label("year")
    rows = db.execute(
        sa.select(
            market,
            Supplier.group_id,
            the_year,
            Product.id.label("product_id"),
            Product.name,
            Product.version,
            ContractProduct.unit,
            sa.func.count().label("priced"),
            sa.func.min(ContractProduct.unit_price).label("low"),
            sa.func.max(ContractProduct.unit_price).label("high"),
        )
        .select_from(Contract)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .join(Product, Product.id == ContractProduct.product_id)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .where(
            *_scope(kind, depth, since_year, year),
            ContractProduct.unit_price.is_not(None),
            Contract.currency == "GBP",
        )
        .group_by(
            market,
            Supplier.group_id,
            the_year,
            Product.id,
            Product.name,
            Product.version,
            ContractProduct.unit,
        )
    )
    spreads: dict[tuple[str, int, int], list[PriceSpread]] = defaultdict(list)
    for row in rows:
        spreads[(f"{kind}-{row.market}", row.group_id, int(row.year))].append(
            PriceSpread(
                product_id=row.product_id,
                product=f"{row.name} {row.version}".strip(),
                unit=row.unit,
                priced=int(row.priced),
                low=float(row.low),
                high=float(row.high),
            )
        )
    return spreads


def find_opportunities(
    db: Session,
    depth: int,
    *,
    min_buyers: int = 2,
    since_year: int | None = None,
    year: int | None = None,
    kinds: tuple[str, ...] = KINDS,
    contracts: Any = None,
    currencies: Sequence[str] | None = None,
) -> list[Opportunity]:
    """Every market, group and year with at least `min_buyers` separate buyers: largest total
    spend first, then most buyers. `contracts`: as for `separate_buying_query`."""
    found: list[Opportunity] = []
    for kind in kinds:
        query = separate_buying_query(
            kind,
            depth,
            min_buyers=min_buyers,
            since_year=since_year,
            year=year,
            contracts=contracts,
            currencies=currencies,
        )
        rows = list(db.execute(query))
        if not rows:
            continue
        prices = _prices(db, kind, depth, since_year, year)
        for row in rows:
            market_key = f"{kind}-{row.market}"
            found.append(
                Opportunity(
                    market_key=market_key,
                    market_label=market_key,
                    group_id=row.group_id,
                    group="",
                    year=int(row.year),
                    buyers=int(row.buyers),
                    contracts=int(row.contracts),
                    valued_buyers=int(row.valued_buyers),
                    total_value=float(row.total_value) if row.total_value is not None else None,
                    median_value=float(row.median_value) if row.median_value is not None else None,
                    currency=row.currency,
                    other_currency_contracts=int(row.other_currency_contracts or 0),
                    prices=prices.get((market_key, row.group_id, int(row.year)), []),
                )
            )
    _name(db, found, depth)
    found.sort(key=lambda o: (-(o.total_value or 0), -o.buyers, o.market_key, o.group, -o.year))
    return found


def _name(db: Session, found: list[Opportunity], depth: int) -> None:
    if not found:
        return
    keys = {o.market_key for o in found}
    labels = market_labels(db, keys, depth)
    groups = dict(
        db.execute(
            sa.select(SupplierGroup.id, SupplierGroup.name).where(
                SupplierGroup.id.in_({o.group_id for o in found})
            )
        ).all()
    )
    for o in found:
        o.market_label = labels.get(o.market_key, o.market_key)
        o.group = groups.get(o.group_id, f"Group {o.group_id}")


def opportunity_contracts(
    market: MarketKey, group_id: int, year: int, depth: int
) -> sa.Select[Any]:
    """The contracts behind one opportunity, for its page's links."""
    kind = market.kind
    if kind == "cpv":
        condition = Contract.cpv_code.startswith(market.value, autoescape=True)
    elif kind == "cls":
        condition = Contract.classification_id == int(market.value)
    else:
        condition = Contract.lot_id == int(market.value)
    return (
        sa.select(Contract)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .where(*_scope(kind, depth, None, year), condition, Supplier.group_id == group_id)
        .order_by(Buyer.name, Contract.award_date, Contract.id)
    )
