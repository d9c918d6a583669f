"""Markets and their concentration, computed with SQL aggregates over published contracts.

A market (`registry.markets.keys`) is a CPV code prefix (`cpv-48814`, depth set by
`registry.markets.cpv_depth`), another classification (`cls-7`), a framework lot (`lot-12`) or
every contract of one buyer (`buyer-3`). Shares are by supplier group, two ways: by contract value
in the market's one currency (contracts in other currencies or without a value are left out and
counted as such: `registry.markets.aggregates`) and by count: a group's buyers over the sum of
every group's buyers, or its contracts in a buyer-wide market.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Classification
from registry.contracts.queries import contract_year, public_contract
from registry.frameworks.models import Framework, Lot
from registry.integers import whole_number
from registry.markets.aggregates import (
    aggregate_query,
    run_aggregate_query,
    run_market_currencies,
    stage_currencies,
)
from registry.markets.concentration import EMPTY, Concentration, concentration, leading
from registry.markets.cpv import cpv_name
from registry.markets.keys import (
    CLASSIFIED_KINDS,
    MarketKey,
    count_basis,
    cpv_prefix_range,
    market_condition,
)
from registry.markets.models import MarketGroupFigures
from registry.pagination import counted, counted_rows
from registry.suppliers.models import SupplierGroup

__all__ = ["MarketKey", "cpv_prefix_range", "market_condition"]  # where they were first defined

CPV_DEPTH_SETTING = "registry.markets.cpv_depth"
DEFAULT_CPV_DEPTH = 5


def cpv_depth(settings: Mapping[str, Any]) -> int:
    """How many leading CPV digits make a market (2 = division ... 8 = the full code)."""
    raw = str(settings.get(CPV_DEPTH_SETTING, DEFAULT_CPV_DEPTH)).strip()
    depth = whole_number(raw, 2, 8)
    if depth is None:
        raise ConfigurationError(
            f"{CPV_DEPTH_SETTING} must be a whole number from 2 to 8, not {raw!r}"
        )
    return depth


@dataclasses.dataclass
class GroupShare:
    group_id: int
    name: str
    value: float
    valued_contracts: int
    buyers: int
    contracts: int
    value_share: float = 0.0
    buyer_share: float = 0.0


@dataclasses.dataclass
class Market:
    key: str
    kind: str
    label: str
    contracts: int = 0
    valued_contracts: int = 0
    groups: list[GroupShare] = dataclasses.field(default_factory=list)
    group_count: int = 0  # all groups, where `groups` holds only the largest
    by_value: Concentration = EMPTY
    by_buyers: Concentration = EMPTY  # by the count basis: buyers, or contracts (buyer-wide)
    currency: str | None = None  # the value figures' one currency; None: nothing valued
    framework_id: int | None = None
    framework_reference: str | None = None
    scheme: str | None = None  # a classification market's scheme and code, as published
    code: str | None = None
    buyer_id: int | None = None  # a buyer-wide market's buyer

    @property
    def excluded_from_value(self) -> int:
        """Contracts without a value in the market's currency: left out of the value shares."""
        return self.contracts - self.valued_contracts

    @property
    def total_value(self) -> float:
        return self.by_value.total

    @property
    def count_basis(self) -> str:
        """ "buyers", or "contracts" in a buyer-wide market (its one buyer counts once)."""
        return count_basis(self.kind)

    def leading(self, n: int = 2) -> list[GroupShare]:
        return self.groups[:n]


@dataclasses.dataclass
class YearPoint:
    year: int
    contracts: int
    valued_contracts: int
    by_value: Concentration
    by_buyers: Concentration


def _aggregate(
    db: Session,
    kind: str,
    depth: int,
    *,
    by_year: bool = False,
    only: str | None = None,
    since_year: int | None = None,
) -> list[sa.Row[Any]]:
    """One GROUP BY over contracts: per market (and year), per supplier group."""
    query = aggregate_query(kind, depth, by_year=by_year, only=only, since_year=since_year)
    return list(db.execute(query))


def _fill(market: Market, rows: list[sa.Row[Any]], names: Mapping[int, str]) -> None:
    groups = [
        GroupShare(
            group_id=row.group_id,
            name=names.get(row.group_id) or f"Group {row.group_id}",
            value=float(row.value or 0),
            valued_contracts=int(row.valued),
            buyers=int(row.buyers),
            contracts=int(row.contracts),
        )
        for row in rows
    ]
    market.currency = next((row.currency for row in rows if row.currency), None)
    market.contracts = sum(g.contracts for g in groups)
    market.valued_contracts = sum(g.valued_contracts for g in groups)
    market.by_value = concentration({g.group_id: g.value for g in groups})
    market.by_buyers = concentration({g.group_id: g.buyers for g in groups})
    value_shares = {s.key: s.share for s in market.by_value.shares}
    buyer_shares = {s.key: s.share for s in market.by_buyers.shares}
    for group in groups:
        group.value_share = value_shares.get(group.group_id, 0.0)
        group.buyer_share = buyer_shares.get(group.group_id, 0.0)
    market.groups = sorted(groups, key=lambda g: (-g.buyer_share, -g.value_share, g.name))
    market.group_count = len(groups)


def _group_names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(
        sa.select(SupplierGroup.id, SupplierGroup.name).where(SupplierGroup.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


def _ids(keys: Iterable[MarketKey], kind: str) -> set[int]:
    return {int(k.value) for k in keys if k.kind == kind}


def described(db: Session, keys: Iterable[MarketKey]) -> dict[MarketKey, Market]:
    """A Market (no figures yet) for each key whose lot, classification or buyer exists, with its
    label: `cpv-48814` → "Medical information systems (CPV 48814)", `buyer-3` → "All contracts
    of Leeds City Council". One query per kind asked about."""
    keys = set(keys)
    found: dict[MarketKey, Market] = {}
    for key in keys:
        if key.kind == "cpv":
            name = cpv_name(key.value)
            label = f"{name} (CPV {key.value})" if name else f"CPV {key.value}"
            found[key] = Market(key=str(key), kind=key.kind, label=label)
    if lots := _ids(keys, "lot"):
        for row in db.execute(
            sa.select(Lot.id, Lot.number, Lot.title, Framework.id.label("fid"), Framework.reference)
            .join(Framework, Framework.id == Lot.framework_id)
            .where(Lot.id.in_(lots))
        ):
            found[MarketKey("lot", str(row.id))] = Market(
                key=f"lot-{row.id}",
                kind="lot",
                label=f"{row.reference} lot {row.number}: {row.title}",
                framework_id=row.fid,
                framework_reference=row.reference,
            )
    if classifications := _ids(keys, "cls"):
        for item in db.execute(
            sa.select(Classification).where(Classification.id.in_(classifications))
        ).scalars():
            found[MarketKey("cls", str(item.id))] = Market(
                key=f"cls-{item.id}",
                kind="cls",
                label=item.label,
                scheme=item.scheme or None,
                code=item.code,
            )
    if buyers := _ids(keys, "buyer"):
        for buyer_id, name in db.execute(
            sa.select(Buyer.id, Buyer.name).where(Buyer.id.in_(buyers))
        ):
            found[MarketKey("buyer", str(buyer_id))] = Market(
                key=f"buyer-{buyer_id}",
                kind="buyer",
                label=f"All contracts of {name}",
                buyer_id=buyer_id,
            )
    return found


def market_for(key: MarketKey, found: Mapping[MarketKey, Market]) -> Market:
    """The described market, or one labelled by its key (its record has gone since)."""
    if key in found:
        return dataclasses.replace(found[key])
    names = {"lot": "Lot", "cls": "Classification", "buyer": "Buyer"}
    return Market(key=str(key), kind=key.kind, label=f"{names.get(key.kind, key.kind)} {key.value}")


def list_markets(
    db: Session,
    depth: int,
    *,
    since_year: int | None = None,
    kinds: tuple[str, ...] = CLASSIFIED_KINDS,
) -> list[Market]:
    """Every market of the kinds with at least one published contract, with its concentration."""
    by_market: dict[MarketKey, list[sa.Row[Any]]] = defaultdict(list)
    for kind in kinds:
        for row in _aggregate(db, kind, depth, since_year=since_year):
            by_market[MarketKey(kind, str(row.market))].append(row)
    names = _group_names(db, {row.group_id for rows in by_market.values() for row in rows})
    found = described(db, by_market)
    markets = []
    for key, rows in by_market.items():
        market = market_for(key, found)
        _fill(market, rows, names)
        markets.append(market)
    return markets


def list_market_leaders(
    db: Session,
    depth: int,
    *,
    since_year: int | None = None,
    leaders: int = 4,
    contracts: Any = None,
    kinds: tuple[str, ...] = CLASSIFIED_KINDS,
) -> list[Market]:
    """Every market as `list_markets` has it, its concentration figured in SQL: the totals, HHI
    and concentration ratios are exact, but only the `leaders` largest groups on each basis are
    listed (in `groups` and the shares), so a national market's long tail never reaches Python.
    `contracts`: a detection run's published contracts (RUN_CONTRACTS at this depth) to read
    instead of joining contracts and suppliers again."""
    markets = []
    for kind in kinds:
        staged = None
        if contracts is not None:
            staged = stage_currencies(db, kind, run_market_currencies(contracts, kind, since_year))
            groups = run_aggregate_query(contracts, kind, since_year, staged).subquery()
        else:
            groups = aggregate_query(kind, depth, since_year=since_year).subquery()
        value = sa.case((groups.c.value > 0, groups.c.value), else_=sa.null())
        # Largest first, ties by the key as text, as `concentration` orders its shares.
        key = sa.cast(groups.c.group_id, sa.String)
        market = groups.c.market
        ranked = sa.select(
            groups,
            sa.func.row_number()
            .over(partition_by=market, order_by=[groups.c.buyers.desc(), key])
            .label("buyer_rank"),
            sa.func.row_number()
            .over(partition_by=market, order_by=[sa.func.coalesce(value, 0).desc(), key])
            .label("value_rank"),
            sa.func.sum(groups.c.contracts).over(partition_by=market).label("market_contracts"),
            sa.func.sum(groups.c.valued).over(partition_by=market).label("market_valued"),
            sa.func.sum(groups.c.buyers).over(partition_by=market).label("buyers_total"),
            sa.func.sum(groups.c.buyers * groups.c.buyers)
            .over(partition_by=market)
            .label("buyers_squares"),
            sa.func.count().over(partition_by=market).label("buyers_count"),
            sa.func.sum(value).over(partition_by=market).label("value_total"),
            sa.func.sum(value * value).over(partition_by=market).label("value_squares"),
            sa.func.count(value).over(partition_by=market).label("value_count"),
        ).subquery()
        rows = db.execute(
            sa.select(ranked, SupplierGroup.name)
            .outerjoin(SupplierGroup, SupplierGroup.id == ranked.c.group_id)
            .where(sa.or_(ranked.c.buyer_rank <= leaders, ranked.c.value_rank <= leaders))
        ).all()
        if staged is not None:
            staged.drop(db.connection())
        by_market: dict[MarketKey, list[sa.Row[Any]]] = defaultdict(list)
        for row in rows:
            by_market[MarketKey(kind, str(row.market))].append(row)
        found = described(db, by_market)
        for market_key, in_market in by_market.items():
            markets.append(_leading_market(market_for(market_key, found), in_market, leaders))
    return markets


def _leading_market(market: Market, rows: list[sa.Row[Any]], leaders: int) -> Market:
    first = rows[0]
    market.currency = first.currency
    market.contracts = int(first.market_contracts)
    market.valued_contracts = int(first.market_valued)
    by_buyers = sorted((r for r in rows if r.buyer_rank <= leaders), key=lambda r: r.buyer_rank)
    by_value = sorted(
        (r for r in rows if r.value_rank <= leaders and (r.value or 0) > 0),
        key=lambda r: r.value_rank,
    )
    market.by_buyers = leading(
        first.buyers_total,
        first.buyers_squares,
        first.buyers_count,
        [(r.group_id, r.buyers) for r in by_buyers],
    )
    market.by_value = leading(
        first.value_total or 0,
        first.value_squares or 0,
        first.value_count,
        [(r.group_id, r.value) for r in by_value],
    )
    value_shares = {s.key: s.share for s in market.by_value.shares}
    buyer_shares = {s.key: s.share for s in market.by_buyers.shares}
    market.groups = sorted(
        (
            GroupShare(
                group_id=r.group_id,
                name=r.name or f"Group {r.group_id}",
                value=float(r.value or 0),
                valued_contracts=int(r.valued),
                buyers=int(r.buyers),
                contracts=int(r.contracts),
                value_share=value_shares.get(r.group_id, 0.0),
                buyer_share=buyer_shares.get(r.group_id, 0.0),
            )
            for r in rows
        ),
        key=lambda g: (-g.buyer_share, -g.value_share, g.name),
    )
    market.group_count = int(first.buyers_count)
    return market


def get_market(db: Session, key: MarketKey, depth: int) -> tuple[Market, list[YearPoint]] | None:
    """One market over all years, and its concentration year by year (the trend)."""
    if key.kind == "cpv" and len(key.value) != depth:
        return None
    found = described(db, [key])
    if key not in found:
        return None
    rows = _aggregate(db, key.kind, depth, only=key.value)
    market = dataclasses.replace(found[key])
    names = _group_names(db, {row.group_id for row in rows})
    _fill(market, rows, names)
    yearly: dict[int, list[sa.Row[Any]]] = defaultdict(list)
    for row in _aggregate(db, key.kind, depth, by_year=True, only=key.value):
        if row.year is not None:
            yearly[int(row.year)].append(row)
    years = []
    for year in sorted(yearly):
        point = dataclasses.replace(found[key])
        _fill(point, yearly[year], names)
        years.append(
            YearPoint(
                year, point.contracts, point.valued_contracts, point.by_value, point.by_buyers
            )
        )
    return market, years


def latest_year(db: Session, contracts: Any = None) -> int | None:
    """The most recent contract year in the registry: windows end there, so old data sets work.
    `contracts`: a detection run's published contracts (RUN_CONTRACTS), narrower to scan."""
    query = sa.select(sa.func.max(contract_year())).where(public_contract())
    if contracts is not None:
        query = sa.select(sa.func.max(contracts.c.year))
    value = db.execute(query).scalar()
    return int(value) if value is not None else None


def window_start(db: Session, window_years: int, contracts: Any = None) -> int | None:
    """The first year of a window of `window_years` ending at the latest year; None for all years."""
    if window_years <= 0:
        return None
    return window_from(latest_year(db, contracts), window_years)


def window_from(latest: int | None, window_years: int) -> int | None:
    """The first year of a window of `window_years` ending at `latest`; None for all years (or
    no dated contract)."""
    if window_years <= 0 or latest is None:
        return None
    return latest - window_years + 1


def market_labels(db: Session, keys: set[str], depth: int) -> dict[str, str]:
    """What each market key reads as (`cpv-48814` → "Medical information systems (CPV 48814)",
    `buyer-3` → "All contracts of Leeds City Council")."""
    parsed = [k for k in map(MarketKey.parse, keys) if k is not None]
    found = described(db, parsed)
    return {str(k): market_for(k, found).label for k in parsed}


@dataclasses.dataclass
class MarketShare:
    market_key: str
    label: str
    rank: int
    buyers: int
    buyer_share: float
    value_share: float


def market_shares(db: Session, group_id: int, limit: int) -> tuple[list[MarketShare], int]:
    """The group's stored market figures (`registry detect` writes them) in the markets where it
    serves the most buyers, and how many markets it is in. Buyer-wide markets (one buyer's every
    contract) are left out: they say whom it sells to, not what."""
    rows = db.execute(_market_shares(), {"group_id": group_id, "limit": limit}).all()
    figures, total = counted_rows(rows)
    # Stored keys carry their CPV prefix already: the depth is not read.
    labels = market_labels(db, {f.market_key for f in figures}, DEFAULT_CPV_DEPTH)
    return [
        MarketShare(
            f.market_key,
            labels.get(f.market_key, f.market_key),
            f.rank,
            f.buyers,
            f.buyer_share,
            f.value_share,
        )
        for f in figures
    ], total


@functools.cache
def _market_shares() -> Any:
    """market_shares' statement, built once per process: the first rows and how many markets
    the group is in, in one round trip (`counted`)."""
    mine = sa.and_(
        MarketGroupFigures.group_id == sa.bindparam("group_id", type_=sa.Integer),
        MarketGroupFigures.market_key.not_like("buyer-%"),
    )
    return (
        counted(sa.select(MarketGroupFigures).where(mine))
        .order_by(
            MarketGroupFigures.buyers.desc(),
            MarketGroupFigures.value.desc(),
            MarketGroupFigures.market_key,
        )
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
