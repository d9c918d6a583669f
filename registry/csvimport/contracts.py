"""Contracts from CSV. A contract is recognised by its reference; one already in the registry is
left as it is (a published contract changes only through an extension or a retraction)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import Event, record_events
from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ProcurementMethod
from registry.contracts.rules import check_terms
from registry.csvimport.plan import Plan
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.csvimport.references import Lots, Suppliers
from registry.frameworks.lifecycle import ContractLifecycle, judged_on, settle_override
from registry.records import Publication


def _buyers(db: Session, rows: list[Row]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for buyer_id, identifier in fetch_in(
        db,
        lambda chunk: sa.select(Buyer.id, sa.func.upper(Buyer.identifier)).where(
            sa.func.upper(Buyer.identifier).in_(chunk)
        ),
        [row.values["buyer"].upper() for row in rows if row.values["buyer"]],
    ):
        found[identifier].append(buyer_id)
    return found


def _resolve(db: Session, rows: list[Row], problems: Problems) -> None:
    """Buyer, supplier and lot of every row, into row.values."""
    buyers = _buyers(db, rows)
    lots = Lots(
        db, [r.values["framework_reference"] for r in rows if r.values["framework_reference"]]
    )
    suppliers = Suppliers(
        db,
        [
            r.values["supplier_companies_house_number"]
            for r in rows
            if r.values["supplier_companies_house_number"]
        ],
        [
            r.values["supplier_name"]
            for r in rows
            if r.values["supplier_name"] and not r.values["supplier_companies_house_number"]
        ],
    )
    for row in rows:
        v = row.values
        v["buyer_id"] = None
        if v["buyer"]:
            matches = buyers.get(v["buyer"].upper(), [])
            if not matches:
                problems.add(
                    row.line,
                    "buyer",
                    f"there is no buyer with identifier {v['buyer']} in the registry",
                )
            elif len(matches) > 1:
                problems.add(
                    row.line, "buyer", f"{len(matches)} buyers have the identifier {v['buyer']}"
                )
            else:
                v["buyer_id"] = matches[0]
        number, name = v["supplier_companies_house_number"], v["supplier_name"]
        if number or name:
            column = "supplier_companies_house_number" if number else "supplier_name"
            v["supplier_id"] = suppliers.find(row, problems, column, number=number, name=name)
        else:
            v["supplier_id"] = None
            problems.add(
                row.line, "supplier_name", "give the supplier's Companies House number or its name"
            )
        framework_id = lots.framework_id(row, problems)
        v["lot_id"] = lots.lot_id(row, framework_id, problems, required=True)
        for column, message in check_terms(
            value_amount=v["value_amount"],
            currency=v["currency"],
            start_date=v["start_date"],
            end_date=v["end_date"],
            original_end_date=v["original_end_date"],
            number_of_tenderers=v["number_of_tenderers"],
            cpv_code=v["cpv_code"],
        ):
            # check_terms speaks to a form ("Value must be..."); the column is named already.
            problems.add(row.line, column, message[0].lower() + message[1:])
    _check_lifecycles(db, rows, problems)


# The form's field names, as the lifecycle checks give them, to the file's columns.
LIFECYCLE_COLUMNS = {"supplier": "supplier_name", "lot_number": "lot_number"}


def _check_lifecycles(db: Session, rows: list[Row], problems: Problems) -> None:
    """Each row's framework, lot and supplier on its award date (issue 19): a problem naming the
    column, unless the row gives its lifecycle_override reason, which is then kept."""
    check = ContractLifecycle(
        db,
        [r.values["lot_id"] for r in rows if r.values.get("lot_id")],
        [r.values["supplier_id"] for r in rows if r.values.get("supplier_id")],
    )
    for row in rows:
        v = row.values
        warnings = check.problems(
            v.get("lot_id"), v.get("supplier_id"), judged_on(v["award_date"], v["start_date"])
        )
        found, v["lifecycle_override"] = settle_override(warnings, v["lifecycle_override"])
        for field, message in found:
            column = LIFECYCLE_COLUMNS.get(field, field)
            if field == "supplier" and v["supplier_companies_house_number"]:
                column = "supplier_companies_house_number"
            problems.add(row.line, column, message[0].lower() + message[1:])


def check(db: Session, rows: list[Row], problems: Problems) -> Plan:
    plan = Plan()
    _resolve(db, rows, problems)
    references = [row.values["reference"] for row in rows if row.values["reference"]]
    predecessors = [
        row.values["predecessor_reference"] for row in rows if row.values["predecessor_reference"]
    ]
    in_db = {
        reference: (contract_id, buyer_id)
        for reference, contract_id, buyer_id in fetch_in(
            db,
            lambda chunk: sa.select(Contract.reference, Contract.id, Contract.buyer_id).where(
                Contract.reference.in_(chunk)
            ),
            references + predecessors,
        )
    }
    in_file: dict[str, Row] = {}
    for row in rows:
        reference = row.values["reference"]
        if not reference:
            continue
        if reference in in_file:
            problems.add(
                row.line, "reference", f"{reference} is also on line {in_file[reference].line}"
            )
            continue
        in_file[reference] = row
        if reference in in_db:
            plan.present.append((row.line, reference))
        else:
            plan.create.append(row)

    for row in rows:
        v = row.values
        wanted = v["predecessor_reference"]
        if not wanted:
            continue
        if wanted == v["reference"]:
            problems.add(
                row.line, "predecessor_reference", "a contract cannot be its own predecessor"
            )
        elif wanted in in_db:
            if v["buyer_id"] is not None and in_db[wanted][1] != v["buyer_id"]:
                problems.add(
                    row.line, "predecessor_reference", f"{wanted} is a contract of another buyer"
                )
        elif wanted in in_file:
            other = in_file[wanted].values
            if v["buyer_id"] is not None and other["buyer_id"] not in (None, v["buyer_id"]):
                problems.add(
                    row.line,
                    "predecessor_reference",
                    f"{wanted} (line {in_file[wanted].line}) is a contract of another buyer",
                )
            elif _loops(in_file, v["reference"]):
                problems.add(
                    row.line,
                    "predecessor_reference",
                    "the predecessors in this file go round in a loop",
                )
        else:
            problems.add(
                row.line,
                "predecessor_reference",
                f"there is no contract with reference {wanted} in the registry or this file",
            )
    plan.context["in_db"] = in_db
    return plan


def _loops(in_file: dict[str, Row], start: str) -> bool:
    seen = {start}
    current = in_file[start].values["predecessor_reference"]
    while current in in_file:
        if current in seen:
            return True
        seen.add(current)
        current = in_file[current].values["predecessor_reference"]
    return False


def write(db: Session, plan: Plan) -> list[int]:
    contracts: dict[str, Contract] = {}
    for row in plan.create:
        v = row.values
        contracts[v["reference"]] = Contract(
            reference=v["reference"],
            title=v["title"],
            description=v["description"],
            buyer_id=v["buyer_id"],
            supplier_id=v["supplier_id"],
            lot_id=v["lot_id"],
            value_amount=v["value_amount"],
            currency=v["currency"],
            award_date=v["award_date"],
            start_date=v["start_date"],
            end_date=v["end_date"],
            original_end_date=v["original_end_date"] or v["end_date"],
            procurement_method=ProcurementMethod(v["procurement_method"])
            if v["procurement_method"]
            else None,
            number_of_tenderers=v["number_of_tenderers"],
            cpv_code=v["cpv_code"],
            publication=Publication(v["status"]),
            source="csv",
            illustrative=v["illustrative"],
            lifecycle_override=v["lifecycle_override"],
        )
    db.add_all(contracts.values())
    db.flush()
    # Predecessors second: they may be rows of this same file, which now have ids.
    in_db = plan.context["in_db"]
    for row in plan.create:
        wanted = row.values["predecessor_reference"]
        if wanted:
            contract = contracts[row.values["reference"]]
            contract.predecessor_id = (
                contracts[wanted].id if wanted in contracts else in_db[wanted][0]
            )
    db.flush()
    # A contract recorded against a lifecycle warning: its own event, with the reason given.
    record_events(
        db,
        [
            Event(
                action="contract.lifecycle_override",
                subject_type="contract",
                subject_id=contract.id,
                actor_label="csv import",
                after={"lifecycle_override": contract.lifecycle_override},
                reason=contract.lifecycle_override,
            )
            for contract in contracts.values()
            if contract.lifecycle_override
        ],
    )
    return [contract.id for contract in contracts.values()]
