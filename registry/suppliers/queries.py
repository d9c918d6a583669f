"""Read-only questions the public supplier and group pages ask: set-based, published data only."""

from __future__ import annotations

import dataclasses
import functools
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload

from registry.buyers.models import Buyer
from registry.contracts.datause import DataUse, add_up, use_columns, use_of
from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.figures.models import SupplierFigures
from registry.figures.reading import Computed
from registry.figures.services import USE_NAMES
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.pagination import Page, first_page, paginate
from registry.suppliers.models import Supplier, SupplierMerge

# What the public may see of contracts: published and not retracted (looked up by supplier, never
# by the publication index, which nearly every contract is in: see contracts.queries.public_contract).
PUBLISHED = public_contract()

# The supplier page's statements take longer to build than to run for one supplier: each is built
# once per process with the supplier as a bound parameter, and executed with {"supplier_id": id}.
SUPPLIER_ID = sa.bindparam("supplier_id", type_=sa.Integer)


@dataclasses.dataclass
class BuyerTypeRow:
    buyer_type: str
    currency: str | None
    count: int
    value: Decimal


@dataclasses.dataclass
class ByBuyerType:
    rows: list[BuyerTypeRow]
    use: DataUse
    computed: Computed | None  # None: worked out now


def contracts_by_buyer_type(db: Session, supplier_id: int) -> ByBuyerType:
    """The supplier's published contracts by type of buyer and currency, and how much of them a
    figure in pounds could use: the stored figures (registry.figures), or, for a supplier not
    refreshed since its contracts came in, one pass over its contracts now."""
    stored = db.execute(_stored_by_buyer_type(), {"supplier_id": supplier_id}).all()
    rows = stored or db.execute(_by_buyer_type(), {"supplier_id": supplier_id}).all()
    by_type = [BuyerTypeRow(str(r[0]), r[1], r[2], Decimal(r[3] or 0)) for r in rows]
    use = add_up(use_of(r[4:10]) for r in rows)
    return ByBuyerType(by_type, use, Computed.of(stored))


@functools.cache
def _stored_by_buyer_type() -> Any:  # the columns of _by_buyer_type, then when computed
    f = SupplierFigures
    return (
        sa.select(
            f.buyer_type,
            f.currency,
            f.contracts,
            f.amount,
            *(getattr(f, name) for name in USE_NAMES),
            f.method_version,
            f.computed_at,
        )
        .where(f.supplier_id == SUPPLIER_ID)
        .order_by(f.position)
    )


@functools.cache
def _by_buyer_type() -> Any:  # a Select of four columns, then the data-use columns
    # By buyer first, from the covering index alone; then the few hundred buyers' types.
    by_buyer = (
        sa.select(
            Contract.buyer_id,
            Contract.currency,
            sa.func.sum(Contract.value_amount).label("amount"),
            # count(*), not count(id): PostgreSQL's index holds no id (SQLite's holds the rowid).
            sa.func.count().label("use_0"),
            *(column.label(f"use_{n}") for n, column in enumerate(use_columns()) if n),
        )
        .where(PUBLISHED, Contract.supplier_id == SUPPLIER_ID)
        .group_by(Contract.buyer_id, Contract.currency)
        .subquery()
    )
    # Each group's buyer type by its key, not by joining the buyers: PostgreSQL would otherwise
    # hash all the buyers (tens of thousands) to match a few hundred groups.
    typed = sa.select(
        by_buyer,
        sa.select(Buyer.buyer_type)
        .where(Buyer.id == by_buyer.c.buyer_id)
        .scalar_subquery()
        .label("buyer_type"),
    ).subquery()
    uses = [sa.func.sum(typed.c[f"use_{n}"]) for n in range(len(use_columns()))]
    amount = sa.func.sum(typed.c.amount)
    return (
        sa.select(typed.c.buyer_type, typed.c.currency, uses[0], sa.func.coalesce(amount, 0), *uses)
        .group_by(typed.c.buyer_type, typed.c.currency)
        .order_by(amount.desc(), typed.c.buyer_type)
    )


def latest_contracts(db: Session, supplier_id: int, limit: int = 10) -> list[Contract]:
    return list(
        db.execute(latest_statement("supplier", limit), {"party_id": supplier_id}).scalars()
    )


@functools.lru_cache(maxsize=8)
def latest_statement(party: str, limit: int) -> sa.Select[Any]:
    """A supplier's ("supplier") or a buyer's ("buyer") latest published contracts, newest award
    first, each with the other party loaded in the same query; the id bound as "party_id" when
    executed. Built once per process (building costs more than running it for one record)."""
    party_id = sa.bindparam("party_id", type_=sa.Integer)
    own, other = (
        (Contract.supplier_id, Contract.buyer)
        if party == "supplier"
        else (Contract.buyer_id, Contract.supplier)
    )

    def newest_first(contract: Any) -> tuple[Any, ...]:
        return (
            sa.case((contract.award_date.is_(None), 1), else_=0),
            contract.award_date.desc(),
            contract.id.desc(),
        )

    # The latest few chosen first, then the other party joined: joined to the whole list,
    # PostgreSQL would scan every buyer to match a large supplier's thousands of contracts.
    latest = (
        sa.select(Contract.id)
        .where(PUBLISHED, own == party_id)
        .order_by(*newest_first(Contract))
        .limit(limit)
    )
    return (
        sa.select(Contract)
        .options(joinedload(other))  # many-to-one: in the same query
        .where(Contract.id.in_(latest))
        .order_by(*newest_first(Contract))
    )


def memberships(db: Session, supplier_id: int) -> list[Membership]:
    """The lots the supplier is on, on frameworks that have not been retracted."""
    return list(db.execute(_memberships(), {"supplier_id": supplier_id}).scalars())


def memberships_page(db: Session, supplier_id: int, number: int, size: int) -> Page:
    """One page of `memberships`, with their count: the supplier page shows the first few."""
    return _page(db, _memberships(), supplier_id, number, size)


@functools.cache
def _memberships() -> sa.Select[Any]:
    return (
        sa.select(Membership)
        .join(Lot, Lot.id == Membership.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .options(contains_eager(Membership.lot).contains_eager(Lot.framework))  # joined above
        .where(
            Membership.supplier_id == SUPPLIER_ID,
            Framework.retracted_at.is_(None),
            Lot.retracted_at.is_(None),
        )
        .order_by(Framework.reference, Lot.number)
    )


def obligations(db: Session, supplier_id: int) -> list[Obligation]:
    """Obligations made by this supplier alone, and those on every supplier of its lots and
    frameworks."""
    return list(db.execute(_obligations(), {"supplier_id": supplier_id}).scalars())


def obligations_page(db: Session, supplier_id: int, number: int, size: int) -> Page:
    """One page of `obligations`, with their count."""
    return _page(db, _obligations(), supplier_id, number, size)


def _page(db: Session, query: sa.Select[Any], supplier_id: int, number: int, size: int) -> Page:
    # The supplier page's first few and their count in one query; a later page counts first.
    bound = query.params(supplier_id=supplier_id)
    return first_page(db, bound, size) if number == 1 else paginate(db, bound, number, size)


@functools.cache
def _obligations() -> sa.Select[Any]:
    lot_ids = sa.select(Membership.lot_id).where(Membership.supplier_id == SUPPLIER_ID)
    framework_ids = (
        sa.select(Lot.framework_id)
        .join(Membership, Membership.lot_id == Lot.id)
        .where(Membership.supplier_id == SUPPLIER_ID)
    )
    applies = sa.or_(
        Obligation.supplier_id == SUPPLIER_ID,
        sa.and_(
            Obligation.supplier_id.is_(None),
            sa.or_(
                Obligation.lot_id.in_(lot_ids),
                sa.and_(Obligation.lot_id.is_(None), Obligation.framework_id.in_(framework_ids)),
            ),
        ),
    )
    return (
        sa.select(Obligation)
        .join(Framework, Framework.id == Obligation.framework_id)
        .options(contains_eager(Obligation.framework), joinedload(Obligation.lot))
        .where(applies, Obligation.retracted_at.is_(None), Framework.retracted_at.is_(None))
        .order_by(Framework.reference, Obligation.category, Obligation.title)
    )


def merges_into(db: Session, supplier_id: int) -> list[SupplierMerge]:
    """Records merged into this one (reversed merges too: the history is kept)."""
    return list(db.execute(_merges_into(), {"supplier_id": supplier_id}).scalars())


@functools.cache
def _merges_into() -> sa.Select[Any]:
    return (
        sa.select(SupplierMerge)
        .options(joinedload(SupplierMerge.merged))
        .where(SupplierMerge.survivor_id == SUPPLIER_ID)
        .order_by(SupplierMerge.merged_at.desc())
    )


def group_members(db: Session, group_id: int, *, include_merged: bool) -> list[Supplier]:
    query = sa.select(Supplier).where(Supplier.group_id == group_id)
    if not include_merged:
        query = query.where(Supplier.merged_into_id.is_(None))
    return list(db.execute(query.order_by(sa.func.lower(Supplier.name))).scalars())


def group_counts(db: Session, group_ids: list[int]) -> dict[int, int]:
    """Live (unmerged) suppliers in each group."""
    if not group_ids:
        return {}
    rows = db.execute(_group_counts(), {"group_ids": group_ids}).all()
    return {row[0]: row[1] for row in rows}


@functools.cache
def _group_counts() -> Any:
    return (
        sa.select(Supplier.group_id, sa.func.count(Supplier.id))
        .where(
            Supplier.group_id.in_(sa.bindparam("group_ids", expanding=True)),
            Supplier.merged_into_id.is_(None),
        )
        .group_by(Supplier.group_id)
    )


def group_value(db: Session, group_id: int) -> tuple[int, Decimal]:
    row = db.execute(
        sa.select(
            sa.func.count(Contract.id), sa.func.coalesce(sa.func.sum(Contract.value_amount), 0)
        )
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .where(PUBLISHED, Supplier.group_id == group_id)
    ).one()
    return row[0], Decimal(row[1] or 0)
