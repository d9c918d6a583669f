"""A flag's inputs: the records it was computed from, as links for its page."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request

from registry.buyers.models import Buyer
from registry.contracts.datause import illustrative_in
from registry.contracts.models import NON_COMPETITIVE_METHODS, Contract
from registry.contracts.queries import public_contract
from registry.flags.models import Flag
from registry.frameworks.models import Framework
from registry.markets.keys import MarketKey, market_condition
from registry.opportunities.services import opportunity_contracts
from registry.products.exposure import exposed_contracts
from registry.suppliers.models import Supplier, SupplierGroup

MAX_CONTRACTS = 50


@dataclasses.dataclass
class Link:
    text: str
    href: str
    note: str = ""


@dataclasses.dataclass
class Evidence:
    records: list[Link] = dataclasses.field(default_factory=list)
    contracts: list[Contract] = dataclasses.field(default_factory=list)
    contracts_note: str = ""
    more_contracts: bool = False
    # Illustrative inputs: contracts counted, and records named, that are invented examples.
    illustrative_contracts: int = 0
    illustrative_records: list[str] = dataclasses.field(default_factory=list)

    @property
    def illustrative(self) -> bool:
        return bool(self.illustrative_contracts or self.illustrative_records)


def _market_condition(key: str) -> sa.ColumnElement[bool] | None:
    """The contracts of a market key of any kind (a CPV key at the depth it was made at)."""
    market = MarketKey.parse(key)
    if market is None:
        return None
    return market_condition(market, len(market.value) if market.kind == "cpv" else 0)


def evidence_for(request: Request, flag: Flag) -> Evidence:
    db = request.db
    evidence = Evidence()
    if flag.market_key:
        label = flag.metrics.get("market_label") or flag.market_key
        evidence.records.append(
            Link(
                f"Market: {label}",
                request.route_path("markets.detail", key=flag.market_key),
                "the shares of every supplier group, year by year",
            )
        )
    if flag.framework_id is not None:
        framework = db.get(Framework, flag.framework_id)
        if framework is not None:
            evidence.records.append(
                Link(
                    f"Framework {framework.reference}: {framework.title}",
                    request.route_path("frameworks.detail", reference=framework.reference),
                    "its lots, obligations and dates",
                )
            )
    if flag.buyer_id is not None:
        buyer = db.get(Buyer, flag.buyer_id)
        if buyer is not None:
            evidence.records.append(
                Link(f"Buyer: {buyer.name}", request.route_path("buyers.detail", id=buyer.id))
            )
    if flag.group_id is not None:
        group = db.get(SupplierGroup, flag.group_id)
        suppliers = db.execute(
            sa.select(Supplier.id, Supplier.name)
            .where(Supplier.group_id == flag.group_id)
            .order_by(Supplier.name)
            .limit(10)
        ).all()
        for supplier in suppliers:
            evidence.records.append(
                Link(
                    f"Supplier: {supplier.name}",
                    request.route_path("suppliers.detail", id=supplier.id),
                    f"part of the group {group.name}" if group is not None else "",
                )
            )
    leading = [
        row.get("group_id") for row in flag.metrics.get("leading", []) if isinstance(row, dict)
    ]
    leading = [g for g in leading if isinstance(g, int) and g != flag.group_id]
    if leading:
        # The market's largest groups: one supplier page each (the group's first by name).
        first = (
            sa.select(Supplier.group_id, sa.func.min(Supplier.id).label("id"))
            .where(Supplier.group_id.in_(leading))
            .group_by(Supplier.group_id)
            .subquery()
        )
        rows = db.execute(
            sa.select(first.c.id, first.c.group_id, SupplierGroup.name).join(
                SupplierGroup, SupplierGroup.id == first.c.group_id
            )
        ).all()
        by_group = {row.group_id: row for row in rows}
        for group_id in leading:
            row = by_group.get(group_id)
            if row is not None:
                evidence.records.append(
                    Link(
                        f"Supplier group: {row.name}",
                        request.route_path("suppliers.detail", id=row.id),
                        "one of the market's largest groups",
                    )
                )
    query = _contracts_query(flag)
    if query is not None:
        found = list(db.execute(query.limit(MAX_CONTRACTS + 1)).scalars())
        evidence.more_contracts = len(found) > MAX_CONTRACTS
        evidence.contracts = found[:MAX_CONTRACTS]
    _illustrative(db, flag, query, evidence)
    return evidence


def _illustrative(db: Any, flag: Flag, query: sa.Select[Any] | None, evidence: Evidence) -> None:
    """Whether the flag's figures rest on illustrative data, as the site's banner promises to
    say: its contracts (or its market's), and the records it names."""
    if query is not None:
        counted = query.order_by(None).where(Contract.illustrative.is_(True)).subquery()
        evidence.illustrative_contracts = int(
            db.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one()
        )
    elif flag.market_key and (condition := _market_condition(flag.market_key)) is not None:
        evidence.illustrative_contracts = illustrative_in(db, condition)
    for model, record_id, noun in (
        (Framework, flag.framework_id, "framework"),
        (Buyer, flag.buyer_id, "buyer"),
        (SupplierGroup, flag.group_id, "supplier group"),
    ):
        record = db.get(model, record_id) if record_id is not None else None
        if record is not None and record.illustrative:
            evidence.illustrative_records.append(
                f"the {noun} {record.name if noun != 'framework' else record.reference}"
            )


def _contracts_query(flag: Flag) -> sa.Select[Any] | None:
    """The published contracts the detector counted for this flag, where they can be listed."""
    if flag.contract_id is not None:
        return sa.select(Contract).where(Contract.id == flag.contract_id)
    # Issue 10's detectors name their contracts more narrowly than by buyer, group and market.
    if flag.detector == "end_of_support" and flag.buyer_id is not None:
        as_of = datetime.date.fromisoformat(flag.metrics["as_of"])
        return exposed_contracts(flag.buyer_id, int(flag.metrics["product_id"]), as_of)
    if flag.detector == "aggregation_opportunity" and flag.market_key and flag.group_id:
        market = MarketKey.parse(flag.market_key)
        if market is not None:
            depth = len(market.value)
            return opportunity_contracts(market, flag.group_id, int(flag.metrics["year"]), depth)
    if flag.detector == "closed_framework":
        return None  # judged on the lot's memberships: the framework page lists them
    if flag.subject_type == "market":
        return None  # thousands of contracts: the market page shows them by group and year
    conditions: list[Any] = [public_contract()]
    if flag.buyer_id is not None:
        conditions.append(Contract.buyer_id == flag.buyer_id)
    if flag.group_id is not None:
        conditions.append(
            Contract.supplier_id.in_(
                sa.select(Supplier.id).where(Supplier.group_id == flag.group_id)
            )
        )
    if flag.market_key:
        condition = _market_condition(flag.market_key)
        if condition is not None:
            conditions.append(condition)
    if flag.detector == "repeat_awards":
        conditions.append(Contract.procurement_method.in_(NON_COMPETITIVE_METHODS))
    if flag.detector == "non_competitive_share":
        conditions.append(
            sa.or_(
                Contract.procurement_method.in_(NON_COMPETITIVE_METHODS),
                Contract.number_of_tenderers == 1,
            )
        )
    if len(conditions) == 1:
        return None
    when = sa.func.coalesce(Contract.award_date, Contract.start_date)
    return sa.select(Contract).where(*conditions).order_by(when.desc(), Contract.id.desc())
