"""The compare basket: the suppliers chosen for comparison, kept across searches in the URL
(`?basket=1&basket=2`, hidden inputs in the search form), never in a session or a cookie, so it
works without JavaScript and search pages stay cacheable."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.frameworks.models import Membership, MembershipStatus
from registry.integers import whole_number
from registry.search.compare import MAX_SUPPLIERS, MIN_SUPPLIERS
from registry.suppliers.models import Supplier

PARAMETER = "basket"
# A supplier page's "Compare … with other suppliers" link names its supplier so (issue 7).
LEGACY_PARAMETER = "compare"


@dataclasses.dataclass
class Basket:
    suppliers: list[Supplier]

    @property
    def ids(self) -> list[int]:
        return [s.id for s in self.suppliers]

    @property
    def full(self) -> bool:
        return len(self.suppliers) >= MAX_SUPPLIERS

    @property
    def ready(self) -> bool:
        return len(self.suppliers) >= MIN_SUPPLIERS

    def adding(self, supplier_id: int) -> list[int]:
        return [*self.ids, supplier_id] if supplier_id not in self.ids else self.ids

    def removing(self, supplier_id: int) -> list[int]:
        return [i for i in self.ids if i != supplier_id]


def read_basket(db: Session, params: Any) -> Basket:
    """The basket a query string carries: known, unmerged suppliers, in the order chosen, at
    most MAX_SUPPLIERS; anything else in it is left out (a bad number is not an error here)."""
    ids: list[int] = []
    for value in [*params.getall(LEGACY_PARAMETER), *params.getall(PARAMETER)]:
        number = whole_number(value, minimum=1)
        if number is not None and number not in ids:
            ids.append(number)
    ids = ids[: MAX_SUPPLIERS * 2]  # a URL may be edited by hand: never look up more
    if not ids:
        return Basket([])
    found = {
        s.id: s
        for s in db.execute(
            sa.select(Supplier).where(Supplier.id.in_(ids), Supplier.merged_into_id.is_(None))
        ).scalars()
    }
    return Basket([found[i] for i in ids if i in found][:MAX_SUPPLIERS])


def basket_query(ids: Iterable[int]) -> list[tuple[str, str]]:
    return [(PARAMETER, str(i)) for i in ids]


def compare_query(ids: Iterable[int]) -> str:
    """The comparison page's query string for these suppliers."""
    return urlencode([("ids", str(i)) for i in ids])


def group_suppliers(db: Session, group_ids: list[int]) -> list[int]:
    """One supplier of each of these groups (its first unmerged one), in the groups' order: a
    market's largest groups, to compare."""
    first: dict[int, int] = {}
    for group_id, supplier_id in db.execute(
        sa.select(Supplier.group_id, sa.func.min(Supplier.id))
        .where(Supplier.group_id.in_(group_ids), Supplier.merged_into_id.is_(None))
        .group_by(Supplier.group_id)
    ):
        first[group_id] = supplier_id
    return [first[g] for g in group_ids if g in first]


def on_the_same_lots(db: Session, ids: list[int], limit: int = 8) -> list[Supplier]:
    """Suppliers on the same lots as those in the basket (most lots shared first): whom to
    compare them with, before anything is searched for."""
    if not ids:
        return []
    theirs = (
        sa.select(Membership.lot_id)
        .where(Membership.supplier_id.in_(ids), Membership.status != MembershipStatus.removed)
        .scalar_subquery()
    )
    shared = sa.func.count(sa.distinct(Membership.lot_id))
    return list(
        db.execute(
            sa.select(Supplier)
            .join(Membership, Membership.supplier_id == Supplier.id)
            .where(
                Membership.lot_id.in_(theirs),
                Membership.status != MembershipStatus.removed,
                Supplier.id.not_in(ids),
                Supplier.merged_into_id.is_(None),
            )
            .group_by(Supplier.id)
            .order_by(shared.desc(), Supplier.name)
            .limit(limit)
        ).scalars()
    )
