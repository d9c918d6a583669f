"""Seed the products from seed_data/products/products.json, after the core seed data.

The file has already been checked against schemas/seed-products.schema.json with the other seed
files (registry.seed.files); here its references are resolved (vendor group keys, contract
references, framework obligations) and its dates checked. Any problem names the JSON path and
nothing is written (the caller's transaction is rolled back).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.contracts.models import Contract
from registry.frameworks.models import Framework, Obligation
from registry.products.models import ContractProduct, Product, ProductObligation, SupportCover
from registry.products.services import check_dates, snapshot
from registry.seed.files import SeedData, SeedDataError
from registry.suppliers.models import SupplierGroup

FILE = "products/products.json"
ACTOR = "seed"


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def load_products_seed(db: Session, seed: SeedData) -> dict[str, int]:
    found = [f for f in seed.extras if f.name.endswith("/" + FILE)]
    if not found:
        return {}
    file = found[0]
    data: dict[str, Any] = file.data
    problems: list[str] = []
    group_names = {g["key"]: g["name"] for g in seed.suppliers.data["groups"]}
    groups = {
        row.name: row.id for row in db.execute(sa.select(SupplierGroup.name, SupplierGroup.id))
    }
    products: dict[str, Product] = {}
    for i, item in enumerate(data["products"]):
        where = f"{file.name}: $.products[{i}]"
        if item["key"] in products:
            problems.append(f"{where}.key: {item['key']!r} is used twice")
        group_id = groups.get(group_names.get(item["vendor"], ""))
        if group_id is None:
            problems.append(f"{where}.vendor: no supplier group {item['vendor']!r}")
        mainstream = _date(item.get("mainstream_support_end"))
        extended = _date(item.get("extended_support_end"))
        for _field, message in check_dates(mainstream, extended):
            problems.append(f"{where}.extended_support_end: {message}")
        products[item["key"]] = Product(
            name=item["name"],
            version=item.get("version", ""),
            group_id=group_id,
            mainstream_support_end=mainstream,
            extended_support_end=extended,
            source_url=item.get("source_url"),
            notes=item.get("notes", ""),
            illustrative=item.get("illustrative", False),
        )
    links = data.get("contract_products", [])
    references = {link["contract"] for link in links}
    contracts = {
        row.reference: row.id
        for row in db.execute(
            sa.select(Contract.reference, Contract.id).where(Contract.reference.in_(references))
        )
    }
    for i, link in enumerate(links):
        where = f"{file.name}: $.contract_products[{i}]"
        if link["contract"] not in contracts:
            problems.append(f"{where}.contract: no contract {link['contract']!r}")
        if link["product"] not in products:
            problems.append(f"{where}.product: no product {link['product']!r}")
    covers = data.get("obligation_products", [])
    obligations: list[int | None] = []
    for i, cover in enumerate(covers):
        where = f"{file.name}: $.obligation_products[{i}]"
        obligation_id = db.execute(
            sa.select(Obligation.id)
            .join(Framework, Framework.id == Obligation.framework_id)
            .where(
                Framework.reference == cover["framework"], Obligation.title == cover["obligation"]
            )
        ).scalar()
        if obligation_id is None:
            problems.append(
                f"{where}.obligation: no obligation {cover['obligation']!r} on {cover['framework']}"
            )
        if cover["product"] not in products:
            problems.append(f"{where}.product: no product {cover['product']!r}")
        obligations.append(obligation_id)
    if problems:
        raise SeedDataError([*problems, "Nothing was written."])

    db.add_all(products.values())
    db.flush()
    for product in products.values():
        record_event(
            db,
            action="product.created",
            subject_type="product",
            subject_id=product.id,
            actor_label=ACTOR,
            after=snapshot(product),
            reason=f"seeded from {file.name}",
        )
    if links:
        db.execute(
            sa.insert(ContractProduct),
            [
                {
                    "contract_id": contracts[link["contract"]],
                    "product_id": products[link["product"]].id,
                    "quantity": link.get("quantity"),
                    "unit_price": Decimal(str(link["unit_price"]))
                    if "unit_price" in link
                    else None,
                    "unit": link.get("unit"),
                }
                for link in links
            ],
        )
    for cover, obligation_id in zip(covers, obligations, strict=True):
        db.add(
            ProductObligation(
                product_id=products[cover["product"]].id,
                obligation_id=obligation_id,
                cover=SupportCover(cover["cover"]),
            )
        )
    db.flush()
    # The links are bookkeeping of what each contract depends on: one event for them all.
    record_event(
        db,
        action="seed.products_linked",
        subject_type="seed",
        subject_id=file.name,
        actor_label=ACTOR,
        after={
            "contract_products": len(links),
            "obligation_products": len(covers),
            "sha256": file.sha256,
        },
        reason=f"seeded from {file.name}",
    )
    return {"products": len(products), "contract_products": len(links)}
