"""Finding the records a CSV row refers to, for all rows at once (a query per chunk, not per row)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from registry.contracts.rules import merged_message
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.frameworks.models import Framework, Lot
from registry.identifiers import normalise_companies_house_number, normalise_name
from registry.suppliers.models import Supplier


class Lots:
    """Frameworks by reference and their lots by number, for the references in some rows."""

    def __init__(self, db: Session, references: list[str]) -> None:
        found = fetch_in(
            db,
            lambda chunk: sa.select(Framework.id, Framework.reference).where(
                sa.func.upper(Framework.reference).in_(chunk)
            ),
            [reference.upper() for reference in references],
        )
        self.frameworks: dict[str, int] = {ref.upper(): fid for fid, ref in found}
        self.lots: dict[int, dict[str, int]] = defaultdict(dict)
        for lot_id, framework_id, number in fetch_in(
            db,
            lambda chunk: sa.select(Lot.id, Lot.framework_id, Lot.number).where(
                Lot.framework_id.in_(chunk)
            ),
            self.frameworks.values(),
        ):
            self.lots[framework_id][number.lower()] = lot_id

    def framework_id(self, row: Row, problems: Problems) -> int | None:
        reference = row.values.get("framework_reference")
        if not reference:
            return None
        framework_id = self.frameworks.get(reference.upper())
        if framework_id is None:
            problems.add(
                row.line,
                "framework_reference",
                f"there is no framework with reference {reference} in the registry",
            )
        return framework_id

    def lot_id(
        self, row: Row, framework_id: int | None, problems: Problems, *, required: bool
    ) -> int | None:
        """The row's lot. With `required`, a framework of one lot needs no lot number."""
        number = row.values.get("lot_number")
        if framework_id is None:
            if number and not row.values.get("framework_reference"):
                problems.add(row.line, "framework_reference", f"needed for lot {number}")
            return None
        lots = self.lots.get(framework_id, {})
        if not number:
            if not required:
                return None
            if len(lots) == 1:
                return next(iter(lots.values()))
            listed = ", ".join(sorted(lots)) or "none"
            problems.add(
                row.line,
                "lot_number",
                f"needed: framework {row.values['framework_reference']} has lots {listed}",
            )
            return None
        lot_id = lots.get(number.lower())
        if lot_id is None:
            problems.add(
                row.line,
                "lot_number",
                f"framework {row.values['framework_reference']} has no lot {number}",
            )
        return lot_id


class Suppliers:
    """Suppliers by Companies House number and by normalised name."""

    def __init__(self, db: Session, numbers: list[str], names: list[str]) -> None:
        options = selectinload(Supplier.merged_into)
        self.by_number: dict[str, Supplier] = {
            supplier.companies_house_number: supplier
            for (supplier,) in fetch_in(
                db,
                lambda chunk: (
                    sa.select(Supplier)
                    .options(options)
                    .where(Supplier.companies_house_number.in_(chunk))
                ),
                numbers,
            )
        }
        self.by_name: dict[str, list[Supplier]] = defaultdict(list)
        for (supplier,) in fetch_in(
            db,
            lambda chunk: (
                sa.select(Supplier).options(options).where(Supplier.normalised_name.in_(chunk))
            ),
            [normalise_name(name) for name in names],
        ):
            self.by_name[supplier.normalised_name].append(supplier)

    @staticmethod
    def split(value: str) -> tuple[str | None, str | None]:
        """A Companies House number, or else a name."""
        number = normalise_companies_house_number(value)
        if number and any(ch.isdigit() for ch in value):
            return number, None
        return None, value

    def find(
        self, row: Row, problems: Problems, column: str, *, number: str | None, name: str | None
    ) -> int | None:
        supplier: Any = None
        if number:
            supplier = self.by_number.get(number)
            if supplier is None:
                problems.add(
                    row.line,
                    column,
                    f"there is no supplier with Companies House number {number} in the registry",
                )
                return None
        elif name:
            matches = [s for s in self.by_name.get(normalise_name(name), []) if not s.is_merged]
            matches = matches or self.by_name.get(normalise_name(name), [])
            if not matches:
                problems.add(row.line, column, f"there is no supplier named {name} in the registry")
                return None
            if len(matches) > 1:
                problems.add(
                    row.line,
                    column,
                    f"{len(matches)} suppliers are named {name}: give the Companies House number",
                )
                return None
            supplier = matches[0]
        if supplier is None:
            return None
        if supplier.is_merged:
            problems.add(row.line, column, merged_message(supplier))
            return None
        return int(supplier.id)
