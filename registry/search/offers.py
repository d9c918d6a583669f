"""What a supplier sells, in words a buyer searches by: the frameworks and lots it is on (their
titles and the names of their CPV codes), its group's products and the titles of its published
contracts. Read set-based for a chunk of suppliers (one query per part, never one per supplier),
so "clinical systems" finds EMIS, TPP, In Practice Systems and Microtest, whose names do not say
it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.frameworks.models import Framework, Lot, Membership, MembershipStatus
from registry.markets.cpv import cpv_name
from registry.products.models import Product
from registry.records import Publication
from registry.suppliers.models import Supplier

# A national supplier may hold thousands of contracts: its most common titles say what it sells;
# the rest would only make its document long (and its words' frequencies meaningless).
MAX_TITLES = 8


def cpv_words(codes: Iterable[str]) -> list[str]:
    """The names of these CPV codes ("48814000" → "Medical information systems"), once each."""
    names: list[str] = []
    for code in codes:
        name = cpv_name(str(code).split("-")[0])
        if name and name not in names:
            names.append(name)
    return names


def on_lots(supplier_ids: list[int] | sa.Select[Any], *columns: Any) -> sa.Select[Any]:
    """(supplier id, framework reference, *columns) of these suppliers' lots that are public and
    not left (a removed membership is no longer what a supplier sells)."""
    return (
        sa.select(Membership.supplier_id, Framework.reference, *columns)
        # "+ 0" keeps SQLite from probing memberships by (supplier, lot) for every lot of every
        # framework (0.6 s for 1,500 suppliers): it starts from the suppliers' memberships.
        .join(Lot, Membership.lot_id + 0 == Lot.id)
        .join(Framework, Lot.framework_id == Framework.id)
        .where(
            Membership.supplier_id.in_(supplier_ids),
            Membership.status != MembershipStatus.removed,
            Lot.retracted_at.is_(None),
            Framework.retracted_at.is_(None),
        )
    )


def what_they_sell(db: Session, supplier_ids: list[int]) -> dict[int, str]:
    """Each supplier's words for what it sells, by supplier id."""
    words: dict[int, list[str]] = defaultdict(list)
    if not supplier_ids:
        return {}
    for row in db.execute(
        on_lots(
            supplier_ids,
            Framework.title.label("framework_title"),
            Lot.title,
            Lot.cpv_codes,
        ).order_by(Membership.supplier_id, Lot.id)
    ):
        words[row.supplier_id] += [row.framework_title, row.title, *cpv_words(row.cpv_codes or [])]
    for supplier_id, name, version in db.execute(
        sa.select(Supplier.id, Product.name, Product.version)
        .join(Product, Product.group_id == Supplier.group_id)
        .where(Supplier.id.in_(supplier_ids), Product.retracted_at.is_(None))
        .order_by(Supplier.id, Product.name)
    ):
        words[supplier_id].append(f"{name} {version}".strip())
    contracts = sa.func.count(Contract.id)
    titles: dict[int, int] = defaultdict(int)
    for supplier_id, title, _ in db.execute(
        sa.select(Contract.supplier_id, Contract.title, contracts)
        .where(
            Contract.supplier_id.in_(supplier_ids),
            Contract.publication == Publication.published,
            Contract.retracted_at.is_(None),
        )
        .group_by(Contract.supplier_id, Contract.title)
        .order_by(Contract.supplier_id, contracts.desc(), Contract.title)
    ):
        if titles[supplier_id] < MAX_TITLES:
            titles[supplier_id] += 1
            words[supplier_id].append(title)
    return {
        supplier_id: " ".join(dict.fromkeys(w for w in ws if w))
        for supplier_id, ws in words.items()
    }
