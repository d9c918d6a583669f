"""Markets and their concentration, computed with SQL aggregates over published contracts.

A market is either a CPV code prefix (`cpv-48814`, depth set by `registry.markets.cpv_depth`) or a
framework lot (`lot-12`). Shares are by supplier group, two ways: by contract value (pounds only:
contracts in other currencies or without a value are left out and counted as such) and by number
of buyers (a group's buyers over the sum of every group's buyers).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.flags.sql import contract_year, gbp_value, public_contract, since
from registry.frameworks.models import Framework, Lot
from registry.markets.concentration import EMPTY, Concentration, concentration, leading
from registry.markets.cpv import cpv_name
from registry.suppliers.models import Supplier, SupplierGroup

CPV_DEPTH_SETTING = "registry.markets.cpv_depth"
DEFAULT_CPV_DEPTH = 5
KEY_PATTERN = re.compile(r"(cpv)-(\d{2,8})|(lot)-(\d{1,12})")


def cpv_depth(settings: Mapping[str, Any]) -> int:
    """How many leading CPV digits make a market (2 = division ... 8 = the full code)."""
    raw = str(settings.get(CPV_DEPTH_SETTING, DEFAULT_CPV_DEPTH)).strip()
    if not raw.isdigit() or not 2 <= int(raw) <= 8:
        raise ConfigurationError(
            f"{CPV_DEPTH_SETTING} must be a whole number from 2 to 8, not {raw!r}"
        )
    return int(raw)


@dataclasses.dataclass(frozen=True)
class MarketKey:
    kind: str  # "cpv" or "lot"
    value: str

    def __str__(self) -> str:
        return f"{self.kind}-{self.value}"

    @classmethod
    def parse(cls, text: str) -> MarketKey | None:
        match = KEY_PATTERN.fullmatch(text)
        if match is None:
            return None
        if match.group(1):
            return cls("cpv", match.group(2))
        return cls("lot", match.group(4))


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
    by_buyers: Concentration = EMPTY
    framework_id: int | None = None
    framework_reference: str | None = None

    @property
    def excluded_from_value(self) -> int:
        """Contracts without a value in pounds: left out of the value shares."""
        return self.contracts - self.valued_contracts

    @property
    def total_value(self) -> float:
        return self.by_value.total

    def leading(self, n: int = 2) -> list[GroupShare]:
        return self.groups[:n]


@dataclasses.dataclass
class YearPoint:
    year: int
    contracts: int
    valued_contracts: int
    by_value: Concentration
    by_buyers: Concentration


def _market_column(kind: str, depth: int) -> sa.ColumnElement[Any]:
    if kind == "cpv":
        return sa.func.substr(Contract.cpv_code, 1, depth)
    return sa.cast(Contract.lot_id, sa.Integer)


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
    query = _aggregate_query(kind, depth, by_year=by_year, only=only, since_year=since_year)
    return list(db.execute(query))


def _aggregate_query(
    kind: str,
    depth: int,
    *,
    by_year: bool = False,
    only: str | None = None,
    since_year: int | None = None,
) -> sa.Select[Any]:
    market = _market_column(kind, depth).label("market")
    value = gbp_value()
    columns: list[Any] = [
        market,
        Supplier.group_id,
        sa.cast(sa.func.sum(value), sa.Float).label("value"),
        sa.func.count(value).label("valued"),
        sa.func.count(sa.distinct(Contract.buyer_id)).label("buyers"),
        sa.func.count().label("contracts"),
    ]
    group_by: list[Any] = [market, Supplier.group_id]
    if by_year:
        year = contract_year().label("year")
        columns.append(year)
        group_by.append(year)
    query = (
        sa.select(*columns)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .where(public_contract(), since(since_year))
        .group_by(*group_by)
    )
    if only is not None:
        return query.where(market_condition(MarketKey(kind, only), depth))
    if kind == "cpv":
        return query.where(sa.func.length(Contract.cpv_code) >= depth)
    return query.where(Contract.lot_id.is_not(None))


def _run_aggregate_query(contracts: Any, kind: str, since_year: int | None) -> sa.Select[Any]:
    """`_aggregate_query` (per market and group, no year, every market) over a detection run's
    published contracts (registry.flags.sql.RUN_CONTRACTS), whose market is already worked out."""
    c = contracts.c
    market = c.cpv_market if kind == "cpv" else c.lot_id
    window = sa.true() if since_year is None else sa.or_(c.year >= since_year, c.year.is_(None))
    return (
        sa.select(
            market.label("market"),
            c.group_id,
            sa.cast(sa.func.sum(c.value), sa.Float).label("value"),
            sa.func.count(c.value).label("valued"),
            sa.func.count(sa.distinct(c.buyer_id)).label("buyers"),
            sa.func.count().label("contracts"),
        )
        .where(market.is_not(None), window)
        .group_by(market, c.group_id)
    )


def market_condition(key: MarketKey, depth: int) -> sa.ColumnElement[bool]:
    """The contracts of one market (its figures add the published-contract condition)."""
    if key.kind == "cpv":
        return sa.and_(
            sa.func.length(Contract.cpv_code) >= depth,
            Contract.cpv_code.startswith(key.value, autoescape=True),
            *cpv_prefix_range(key.value),
        )
    return Contract.lot_id == int(key.value)


def cpv_prefix_range(prefix: str) -> list[sa.ColumnElement[bool]]:
    """The codes starting with a prefix of digits, as a range the cpv_code index can seek (LIKE
    cannot on SQLite, nor on PostgreSQL outside the C collation). The bounds are digit strings,
    which sort alike in every collation: "48814" <= code < "48815"."""
    bounds = [Contract.cpv_code >= prefix]
    if prefix.strip("9"):
        bounds.append(Contract.cpv_code < str(int(prefix) + 1).zfill(len(prefix)))
    return bounds


def _fill(market: Market, rows: list[sa.Row[Any]], names: Mapping[int, str]) -> None:
    groups = [
        GroupShare(
            group_id=group_id,
            name=names.get(group_id) or f"Group {group_id}",
            value=float(value or 0),
            valued_contracts=int(valued),
            buyers=int(buyers),
            contracts=int(contracts),
        )
        for _market, group_id, value, valued, buyers, contracts, *_year in map(tuple, rows)
    ]
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


def _lot_labels(db: Session, ids: set[int]) -> dict[int, tuple[str, int, str]]:
    if not ids:
        return {}
    rows = db.execute(
        sa.select(Lot.id, Lot.number, Lot.title, Framework.id.label("fid"), Framework.reference)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Lot.id.in_(ids))
    )
    return {
        row.id: (f"{row.reference} lot {row.number}: {row.title}", row.fid, row.reference)
        for row in rows
    }


def _new_market(kind: str, value: str, lots: Mapping[int, tuple[str, int, str]]) -> Market:
    if kind == "cpv":
        name = cpv_name(value)
        label = f"{name} (CPV {value})" if name else f"CPV {value}"
        return Market(key=f"cpv-{value}", kind=kind, label=label)
    label, framework_id, reference = lots.get(int(value), (f"Lot {value}", None, None))
    return Market(
        key=f"lot-{value}",
        kind=kind,
        label=label,
        framework_id=framework_id,
        framework_reference=reference,
    )


def list_markets(
    db: Session,
    depth: int,
    *,
    since_year: int | None = None,
    kinds: tuple[str, ...] = ("cpv", "lot"),
) -> list[Market]:
    """Every market with at least one published contract, with its concentration."""
    by_market: dict[tuple[str, str], list[sa.Row[Any]]] = defaultdict(list)
    for kind in kinds:
        for row in _aggregate(db, kind, depth, since_year=since_year):
            by_market[(kind, str(row.market))].append(row)
    names = _group_names(db, {row.group_id for rows in by_market.values() for row in rows})
    lots = _lot_labels(db, {int(v) for (k, v) in by_market if k == "lot"})
    markets = []
    for (kind, value), rows in by_market.items():
        market = _new_market(kind, value, lots)
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
) -> list[Market]:
    """Every market as `list_markets` has it, its concentration figured in SQL: the totals, HHI
    and concentration ratios are exact, but only the `leaders` largest groups on each basis are
    listed (in `groups` and the shares), so a national market's long tail never reaches Python.
    `contracts`: a detection run's published contracts (RUN_CONTRACTS at this depth) to read
    instead of joining contracts and suppliers again."""
    markets = []
    for kind in ("cpv", "lot"):
        if contracts is not None:
            groups = _run_aggregate_query(contracts, kind, since_year).subquery()
        else:
            groups = _aggregate_query(kind, depth, since_year=since_year).subquery()
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
        by_market: dict[str, list[sa.Row[Any]]] = defaultdict(list)
        for row in rows:
            by_market[str(row.market)].append(row)
        lots = _lot_labels(db, {int(v) for v in by_market} if kind == "lot" else set())
        for value_key, found in by_market.items():
            markets.append(_leading_market(_new_market(kind, value_key, lots), found, leaders))
    return markets


def _leading_market(market: Market, rows: list[sa.Row[Any]], leaders: int) -> Market:
    first = rows[0]
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
    rows = _aggregate(db, key.kind, depth, only=key.value)
    lots = _lot_labels(db, {int(key.value)} if key.kind == "lot" else set())
    if key.kind == "lot" and not lots:
        return None
    market = _new_market(key.kind, key.value, lots)
    names = _group_names(db, {row.group_id for row in rows})
    _fill(market, rows, names)
    yearly: dict[int, list[sa.Row[Any]]] = defaultdict(list)
    for row in _aggregate(db, key.kind, depth, by_year=True, only=key.value):
        if row.year is not None:
            yearly[int(row.year)].append(row)
    years = []
    for year in sorted(yearly):
        point = Market(key=market.key, kind=market.kind, label=market.label)
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
    latest = latest_year(db, contracts)
    return None if latest is None else latest - window_years + 1


def market_labels(db: Session, keys: set[str], depth: int) -> dict[str, str]:
    """What each market key reads as (`cpv-48814` → "Medical information systems (CPV 48814)")."""
    parsed = [k for k in map(MarketKey.parse, keys) if k is not None]
    lots = _lot_labels(db, {int(k.value) for k in parsed if k.kind == "lot"})
    return {str(k): _new_market(k.kind, k.value, lots).label for k in parsed}
