"""Obligations from CSV: what suppliers promised on a framework or lot.

An obligation is recognised by its framework, lot, supplier and title; one already in the
registry (and not retracted) is left as it is.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.csvimport.plan import Plan, first_seen
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.csvimport.references import Lots, Suppliers
from registry.frameworks.models import KPIDirection, Obligation, ObligationCategory


def check(db: Session, rows: list[Row], problems: Problems) -> Plan:
    plan = Plan()
    lots = Lots(
        db, [r.values["framework_reference"] for r in rows if r.values["framework_reference"]]
    )
    split = {id(r): Suppliers.split(r.values["supplier"]) for r in rows if r.values["supplier"]}
    suppliers = Suppliers(
        db,
        [number for number, _ in split.values() if number],
        [name for _, name in split.values() if name],
    )
    keys: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        v = row.values
        framework_id = lots.framework_id(row, problems)
        lot_id = lots.lot_id(row, framework_id, problems, required=False)
        supplier_id = None
        if v["supplier"]:
            number, name = split[id(row)]
            supplier_id = suppliers.find(row, problems, "supplier", number=number, name=name)
        if v["kpi_target"] is not None and not v["kpi_direction"]:
            problems.add(row.line, "kpi_direction", "needed with a KPI target")
        v.update(framework_id=framework_id, lot_id=lot_id, supplier_id=supplier_id)
        if framework_id is not None and v["title"]:
            keys[row.line] = (framework_id, lot_id, supplier_id, v["title"].lower())

    existing = {
        (framework_id, lot_id, supplier_id, title)
        for framework_id, lot_id, supplier_id, title in fetch_in(
            db,
            lambda chunk: sa.select(
                Obligation.framework_id,
                Obligation.lot_id,
                Obligation.supplier_id,
                sa.func.lower(Obligation.title),
            ).where(Obligation.framework_id.in_(chunk), Obligation.retracted_at.is_(None)),
            [key[0] for key in keys.values()],
        )
    }
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = keys.get(row.line)
        if key is None:
            continue
        if (line := first_seen(seen, key, row.line)) is not None:
            problems.add(row.line, "title", f"the same obligation is also on line {line}")
        elif key in existing:
            plan.present.append(
                (row.line, f"{row.values['framework_reference']}: {row.values['title']}")
            )
        else:
            plan.create.append(row)
    return plan


def write(db: Session, plan: Plan) -> list[int]:
    obligations = [
        Obligation(
            framework_id=v["framework_id"],
            lot_id=v["lot_id"],
            supplier_id=v["supplier_id"],
            category=ObligationCategory(v["category"]),
            title=v["title"],
            description=v["description"],
            standard_reference=v["standard_reference"],
            kpi_target=v["kpi_target"],
            kpi_unit=v["kpi_unit"],
            kpi_direction=KPIDirection(v["kpi_direction"]) if v["kpi_direction"] else None,
            weight=v["weight"],
            mandatory=v["mandatory"],
            illustrative=v["illustrative"],
        )
        for v in (row.values for row in plan.create)
    ]
    db.add_all(obligations)
    db.flush()
    return [obligation.id for obligation in obligations]
