"""Recording products and linking them to contracts and obligations. Every change is audited;
bad input is refused with (field, message) problems and nothing written."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import add_audited, record_event, snapshot_of
from registry.contracts.models import Contract
from registry.frameworks.models import Obligation
from registry.problems import Problem, ServiceError
from registry.products.models import ContractProduct, Product, ProductObligation, SupportCover
from registry.suppliers.models import SupplierGroup


class ProductError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


@dataclasses.dataclass
class ProductInput:
    name: str
    vendor: str  # the vendor's supplier group, by name
    version: str = ""
    mainstream_support_end: datetime.date | None = None
    extended_support_end: datetime.date | None = None
    source_url: str | None = None
    notes: str = ""

    @classmethod
    def from_product(cls, product: Product) -> ProductInput:
        return cls(
            name=product.name,
            vendor=product.group.name,
            version=product.version,
            mainstream_support_end=product.mainstream_support_end,
            extended_support_end=product.extended_support_end,
            source_url=product.source_url,
            notes=product.notes,
        )


snapshot = snapshot_of(
    "name",
    "version",
    "group_id",
    "mainstream_support_end",
    "extended_support_end",
    "source_url",
    "notes",
)


def find_group(db: Session, name: str) -> SupplierGroup | None:
    """The supplier group of that name, ignoring case and surrounding spaces."""
    return db.execute(
        sa.select(SupplierGroup).where(sa.func.lower(SupplierGroup.name) == name.strip().lower())
    ).scalar_one_or_none()


def check_dates(mainstream: datetime.date | None, extended: datetime.date | None) -> list[Problem]:
    if mainstream and extended and extended < mainstream:
        return [
            (
                "extended_support_end",
                "End of extended support must be on or after the end of mainstream support "
                f"({mainstream:%d %B %Y})",
            )
        ]
    return []


def _validate(db: Session, data: ProductInput, product: Product | None) -> SupplierGroup:
    problems = check_dates(data.mainstream_support_end, data.extended_support_end)
    group = find_group(db, data.vendor) if data.vendor.strip() else None
    if group is None:
        problems.append(
            (
                "vendor",
                f"There is no supplier group called {data.vendor.strip()[:100]!r}: "
                "enter a group's name as the supplier pages show it, or add the group first",
            )
        )
    else:
        clash = db.execute(
            sa.select(Product.id).where(
                Product.group_id == group.id,
                sa.func.lower(Product.name) == data.name.strip().lower(),
                Product.version == data.version.strip(),
                Product.id != (product.id if product is not None else -1),
            )
        ).first()
        if clash is not None:
            problems.append(
                (
                    "name",
                    f"{group.name} already has a product called {data.name.strip()!r} "
                    f"version {data.version.strip() or '(none)'}",
                )
            )
    if problems:
        raise ProductError(problems)
    assert group is not None
    return group


def _apply(product: Product, data: ProductInput, group: SupplierGroup) -> None:
    product.name = data.name.strip()
    product.version = data.version.strip()
    product.group_id = group.id
    product.mainstream_support_end = data.mainstream_support_end
    product.extended_support_end = data.extended_support_end
    product.source_url = (data.source_url or "").strip() or None
    product.notes = (data.notes or "").strip()


def create_product(db: Session, data: ProductInput, *, actor: Any) -> Product:
    group = _validate(db, data, None)
    product = Product()
    _apply(product, data, group)
    return add_audited(
        db,
        product,
        snapshot=snapshot,
        action="product.created",
        subject_type="product",
        actor=actor,
    )


def update_product(db: Session, product: Product, data: ProductInput, *, actor: Any) -> None:
    group = _validate(db, data, product)
    before = snapshot(product)
    _apply(product, data, group)
    db.flush()
    record_event(
        db,
        action="product.updated",
        subject_type="product",
        subject_id=product.id,
        actor=actor,
        before=before,
        after=snapshot(product),
    )


def link_contract(
    db: Session,
    product: Product,
    reference: str,
    *,
    quantity: int | None = None,
    unit_price: Decimal | None = None,
    unit: str | None = None,
    actor: Any,
) -> ContractProduct:
    """Record that the contract with that reference depends on the product."""
    contract = db.execute(
        sa.select(Contract).where(Contract.reference == reference.strip())
    ).scalar_one_or_none()
    if contract is None:
        raise ProductError([("contract", f"There is no contract with reference {reference!r}")])
    if db.get(ContractProduct, (contract.id, product.id)) is not None:
        raise ProductError([("contract", f"Contract {reference} is already linked to it")])
    link = ContractProduct(
        contract_id=contract.id,
        product_id=product.id,
        quantity=quantity,
        unit_price=unit_price,
        unit=(unit or "").strip() or None,
        created_by_id=getattr(actor, "id", None),
    )
    db.add(link)
    db.flush()
    record_event(
        db,
        action="product.contract_linked",
        subject_type="product",
        subject_id=product.id,
        actor=actor,
        after={
            "contract_id": contract.id,
            "quantity": quantity,
            "unit_price": unit_price,
            "unit": link.unit,
        },
    )
    return link


def link_obligation(
    db: Session, product: Product, obligation_id: int, cover: SupportCover, *, actor: Any
) -> ProductObligation:
    """Record that an obligation covers the product by extended support or an upgrade."""
    obligation = db.get(Obligation, obligation_id)
    if obligation is None or obligation.retracted_at is not None:
        raise ProductError([("obligation", f"There is no current obligation {obligation_id}")])
    if db.get(ProductObligation, (product.id, obligation.id)) is not None:
        raise ProductError([("obligation", f"Obligation {obligation_id} already covers it")])
    link = ProductObligation(
        product_id=product.id,
        obligation_id=obligation.id,
        cover=cover,
        created_by_id=getattr(actor, "id", None),
    )
    db.add(link)
    db.flush()
    record_event(
        db,
        action="product.obligation_linked",
        subject_type="product",
        subject_id=product.id,
        actor=actor,
        after={"obligation_id": obligation.id, "cover": cover},
    )
    return link
