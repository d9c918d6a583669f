"""Suppliers (and their groups) from CSV.

A supplier is recognised by its Companies House number, else its DUNS number, else its name;
one already in the registry is left as it is. A supplier with no group gets a group of its own
name, as concentration is measured on groups.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.csvimport.plan import Plan, first_seen
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.identifiers import UnusableName, normalise_name, record_name
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.records import supplier_row


def check(db: Session, rows: list[Row], problems: Problems) -> Plan:
    plan = Plan()
    by_number = dict(
        fetch_in(
            db,
            lambda chunk: sa.select(Supplier.companies_house_number, Supplier.id).where(
                Supplier.companies_house_number.in_(chunk)
            ),
            [
                row.values["companies_house_number"]
                for row in rows
                if row.values["companies_house_number"]
            ],
        )
    )
    by_duns = {
        duns: (supplier_id, name, number)
        for duns, supplier_id, name, number in fetch_in(
            db,
            lambda chunk: sa.select(
                Supplier.duns, Supplier.id, Supplier.name, Supplier.companies_house_number
            ).where(Supplier.duns.in_(chunk)),
            [row.values["duns"] for row in rows if row.values["duns"]],
        )
    }
    names = {
        name
        for (name,) in fetch_in(
            db,
            lambda chunk: sa.select(Supplier.normalised_name).where(
                Supplier.normalised_name.in_(chunk)
            ),
            [normalise_name(row.values["name"]) for row in rows if row.values["name"]],
        )
    }
    seen_numbers: dict[str, int] = {}
    seen_duns: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for row in rows:
        v = row.values
        number, duns, name = v["companies_house_number"], v["duns"], v["name"]
        if name:
            try:
                v["recorded"] = record_name(name)
            except UnusableName as exc:
                problems.add(row.line, "name", f"{name}: {exc}")
                continue
        duplicate = False
        if number and (line := first_seen(seen_numbers, number, row.line)) is not None:
            problems.add(row.line, "companies_house_number", f"{number} is also on line {line}")
            duplicate = True
        if duns and (line := first_seen(seen_duns, duns, row.line)) is not None:
            problems.add(row.line, "duns", f"{duns} is also on line {line}")
            duplicate = True
        if name and not number and not duns:
            key = v["recorded"].key
            if (line := first_seen(seen_names, key, row.line)) is not None:
                problems.add(
                    row.line,
                    "name",
                    f"{name} is also on line {line}: give a Companies House or DUNS number "
                    "to tell them apart",
                )
                duplicate = True
        if duplicate or not name:
            continue
        if number and number in by_number:
            plan.present.append((row.line, f"Companies House number {number}"))
        elif duns and duns in by_duns:
            supplier_id, other, other_number = by_duns[duns]
            if number and other_number and other_number != number:
                problems.add(
                    row.line,
                    "duns",
                    f"{duns} is recorded for {other} (registry number {supplier_id}, "
                    f"Companies House number {other_number})",
                )
            else:
                plan.present.append((row.line, f"DUNS number {duns}"))
        elif not number and not duns and v["recorded"].key in names:
            plan.present.append((row.line, f"name {name}"))
        else:
            plan.create.append(row)
    return plan


def _group_name(row: Row) -> str:
    """The row's group: the one it names, or one of the supplier's own name."""
    return str(row.values["group"] or row.values["recorded"].name)


def _groups(db: Session, rows: list[Row]) -> dict[str, SupplierGroup]:
    """The group for each row, by lower-case name: existing groups found, missing ones made."""
    wanted: dict[str, tuple[str, bool]] = {}
    for row in rows:
        name = _group_name(row)
        wanted.setdefault(name.lower(), (name, row.values["illustrative"]))
    groups = {
        group.name.lower(): group
        for (group,) in fetch_in(
            db,
            lambda chunk: sa.select(SupplierGroup).where(
                sa.func.lower(SupplierGroup.name).in_(chunk)
            ),
            wanted,
        )
    }
    for key, (name, illustrative) in wanted.items():
        if key not in groups:
            groups[key] = SupplierGroup(name=name, illustrative=illustrative)
            db.add(groups[key])
    return groups


def write(db: Session, plan: Plan) -> list[int]:
    groups = _groups(db, plan.create)
    db.flush()
    suppliers = [
        Supplier(
            **supplier_row(
                row.values["recorded"],
                companies_house_number=row.values["companies_house_number"],
                duns=row.values["duns"],
                party_id=row.values["party_id"],
                sme=row.values["sme"],
                aliases=row.values["aliases"] or [],
                illustrative=row.values["illustrative"],
            ),
            group_id=groups[_group_name(row).lower()].id,
        )
        for row in plan.create
    ]
    db.add_all(suppliers)
    db.flush()
    return [supplier.id for supplier in suppliers]
