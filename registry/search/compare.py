"""Two to four suppliers side by side: frameworks and lots, obligations met and unmet, scores
with their confidence bands, open lock-in flags, and market shares where their markets meet.
Every figure comes from published data, read set-based (one query per part, not per supplier)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.clock import today
from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.flags.models import Flag
from registry.flags.services import open_flag_links
from registry.frameworks.lifecycle import membership_state
from registry.frameworks.models import Framework, Lot, Membership, MembershipStatus, Obligation
from registry.integers import whole_number
from registry.markets.aggregates import aggregate_query
from registry.markets.keys import kind_condition, market_column
from registry.markets.services import market_labels
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.search.trends import ScoreLine, score_lines
from registry.suppliers.models import Supplier

MIN_SUPPLIERS = 2
MAX_SUPPLIERS = 4

# How the latest published rating of an obligation reads on the comparison.
MET = {Rating.good: "met", Rating.approaching: "partly met"}
UNMET = {Rating.requires_improvement, Rating.inadequate}


class CompareError(ValueError):
    """The ids asked for cannot be compared; the message says why, for the page."""


@dataclasses.dataclass
class Comparison:
    suppliers: list[Supplier]
    lots: list[dict[str, Any]]  # one row per framework lot any of them is on
    obligations: list[dict[str, Any]]
    scores: dict[int, list[ScoreLine]]
    flags: dict[int, list[Flag]]
    markets: list[dict[str, Any]]


def parse_ids(values: list[str]) -> list[int]:
    """`?ids=1,2&ids=3` → [1, 2, 3], in order, without repeats; a clear error otherwise."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            number = whole_number(part, minimum=1)
            if number is None:
                raise CompareError(f"“{part[:20]}” is not a supplier number")
            if number not in ids:
                ids.append(number)
    if not MIN_SUPPLIERS <= len(ids) <= MAX_SUPPLIERS:
        raise CompareError(
            f"Choose between {MIN_SUPPLIERS} and {MAX_SUPPLIERS} suppliers to compare "
            f"(you chose {len(ids)})"
        )
    return ids


def compare(db: Session, ids: list[int], cpv_depth: int = 5) -> Comparison:
    found = {
        s.id: s
        for s in db.execute(
            sa.select(Supplier).where(Supplier.id.in_(ids), Supplier.merged_into_id.is_(None))
        ).scalars()
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise CompareError(f"No supplier numbered {', '.join(missing)}")
    suppliers = [found[i] for i in ids]
    return Comparison(
        suppliers=suppliers,
        lots=_lots(db, ids),
        obligations=_obligations(db, ids),
        scores=score_lines(db, ids),
        flags=_flags(db, suppliers),
        markets=_markets(db, suppliers, cpv_depth),
    )


def _lots(db: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = db.execute(
        sa.select(Membership, Lot, Framework)
        .join(Lot, Membership.lot_id == Lot.id)
        .join(Framework, Lot.framework_id == Framework.id)
        .where(
            Membership.supplier_id.in_(ids),
            Lot.retracted_at.is_(None),
            Framework.retracted_at.is_(None),
        )
        .order_by(Framework.reference, Lot.number)
    )
    table: dict[int, dict[str, Any]] = {}
    day = today()
    for row in rows:
        entry = table.setdefault(
            row.Lot.id, {"framework": row.Framework, "lot": row.Lot, "status": {}}
        )
        state = membership_state(row.Membership, row.Framework, day)
        entry["status"][row.Membership.supplier_id] = state.text
    return list(table.values())


def _obligations(db: Session, ids: list[int]) -> list[dict[str, Any]]:
    """Obligations that apply to each supplier: its own, its lots', and its frameworks'."""
    active = Membership.status != MembershipStatus.removed
    on = (
        sa.select(Membership.supplier_id, Lot.id.label("lot_id"), Lot.framework_id)
        .join(Lot, Membership.lot_id == Lot.id)
        .where(Membership.supplier_id.in_(ids), active)
        .subquery()
    )
    applies = (
        sa.select(on.c.supplier_id, Obligation)
        .join(
            Obligation,
            sa.and_(
                Obligation.framework_id == on.c.framework_id,
                sa.or_(Obligation.lot_id.is_(None), Obligation.lot_id == on.c.lot_id),
                sa.or_(
                    Obligation.supplier_id.is_(None), Obligation.supplier_id == on.c.supplier_id
                ),
            ),
        )
        .where(Obligation.retracted_at.is_(None))
        .distinct()
    )
    table: dict[int, dict[str, Any]] = {}
    for supplier_id, obligation in db.execute(applies):
        entry = table.setdefault(obligation.id, {"obligation": obligation, "status": {}})
        entry["status"][supplier_id] = "not assessed"
    if not table:
        return []
    # The latest published rating of each (obligation, supplier) decides met or unmet.
    ratings = db.execute(
        sa.select(Assessment.obligation_id, Assessment.supplier_id, Assessment.rating)
        .where(
            Assessment.obligation_id.in_(list(table)),
            Assessment.supplier_id.in_(ids),
            Assessment.status == AssessmentStatus.published,
            Assessment.retracted_at.is_(None),
        )
        .order_by(Assessment.period_end, Assessment.id)
    )
    for obligation_id, supplier_id, rating in ratings:
        if obligation_id is None:
            continue
        status = table[obligation_id]["status"]
        if supplier_id in status:
            status[supplier_id] = MET.get(rating) or ("unmet" if rating in UNMET else "assessed")
    rows = sorted(
        table.values(),
        key=lambda e: (
            e["obligation"].framework.reference,
            e["obligation"].category.value,
            e["obligation"].title.lower(),
        ),
    )
    # One group per framework, labelled: two frameworks' obligations of the same name (a bulk
    # extract on each) are two rows under two headings, never one name twice unexplained.
    groups: dict[int, dict[str, Any]] = {}
    for row in rows:
        framework = row["obligation"].framework
        groups.setdefault(framework.id, {"framework": framework, "rows": []})["rows"].append(row)
    return list(groups.values())


def _flags(db: Session, suppliers: list[Supplier]) -> dict[int, list[Flag]]:
    """Open flags about each supplier's group (concentration is measured on groups), including
    those that concern it with others through flag_groups (both of a duopoly)."""
    links = open_flag_links({s.group_id for s in suppliers}).subquery()
    flags_of: dict[int, list[int]] = defaultdict(list)
    for group_id, flag_id in db.execute(sa.select(links)):
        flags_of[group_id].append(flag_id)
    wanted = {flag_id for ids in flags_of.values() for flag_id in ids}
    flags = {
        f.id: f
        for f in db.execute(
            sa.select(Flag).where(Flag.id.in_(wanted)).order_by(Flag.severity, Flag.id)
        ).scalars()
    }
    order = list(flags)
    return {
        s.id: [flags[i] for i in sorted(set(flags_of.get(s.group_id, [])), key=order.index)]
        for s in suppliers
    }


def _markets(db: Session, suppliers: list[Supplier], depth: int) -> list[dict[str, Any]]:
    """Each group's share of value in the markets of what is bought (CPV, other classifications)
    two or more of the suppliers' groups share, within each market's one currency."""
    groups = {s.group_id for s in suppliers}
    result = []
    for kind in ("cpv", "cls"):
        market = market_column(kind, depth)
        theirs = (
            sa.select(market)
            .join(Supplier, Contract.supplier_id == Supplier.id)
            .where(public_contract(), kind_condition(kind, depth), Supplier.group_id.in_(groups))
            .group_by(market)
            .having(sa.func.count(sa.distinct(Supplier.group_id)) >= 2)
        )
        totals: dict[str, Decimal] = defaultdict(Decimal)
        values: dict[str, dict[int, Decimal]] = defaultdict(dict)
        counts: dict[str, int] = defaultdict(int)
        currencies: dict[str, str | None] = {}
        for row in db.execute(aggregate_query(kind, depth, within=theirs)):
            key = f"{kind}-{row.market}"
            totals[key] += Decimal(row.value or 0)
            counts[key] += row.contracts
            currencies[key] = row.currency
            if row.group_id in groups:
                values[key][row.group_id] = Decimal(row.value or 0)
        labels = market_labels(db, set(values), depth)
        for key in sorted(values):
            total = totals[key]
            result.append(
                {
                    "key": key,
                    "label": labels.get(key, key),
                    "contracts": counts[key],
                    "total": total,
                    "currency": currencies[key],
                    "shares": {
                        s.id: (values[key].get(s.group_id, Decimal(0)) / total if total else None)
                        for s in suppliers
                    },
                }
            )
    return result
