"""CSV import through the service, in the test's rolled-back transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract, ProcurementMethod
from registry.csvimport.services import import_csv
from registry.frameworks.models import Framework, Lot, Obligation
from registry.records import Publication
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def _import(db: Session, kind: str, name: str | None = None, text: str | None = None) -> Any:
    data = text.encode() if text is not None else (DATA / (name or f"{kind}.csv")).read_bytes()
    return import_csv(db, kind, data, name or f"{kind}.csv")


@pytest.fixture
def buyers(db_session: Session) -> None:
    BuyerFactory.create(identifier="RT1")
    BuyerFactory.create(identifier="RT2")


def _import_all(db: Session) -> dict[str, Any]:
    return {
        kind: _import(db, kind) for kind in ("frameworks", "suppliers", "obligations", "contracts")
    }


def test_good_files_import_with_the_right_counts(db_session: Session, buyers: None) -> None:
    results = _import_all(db_session)
    for kind, created in (
        ("frameworks", 2),
        ("suppliers", 3),
        ("obligations", 3),
        ("contracts", 3),
    ):
        assert results[kind].ok, results[kind].problems
        assert len(results[kind].created_ids) == created, kind
        assert results[kind].present == []

    framework = db_session.execute(
        sa.select(Framework).where(Framework.reference == "RM9901")
    ).scalar_one()
    assert [(lot.number, lot.title) for lot in framework.lots] == [
        ("1", "Clinical systems"),
        ("2", "Infrastructure"),
    ]
    assert framework.cpv_codes == ["48000000-8", "72000000"]
    assert framework.description == "A test framework, with a comma"
    assert framework.illustrative is True
    assert [c.to_status for c in framework.status_changes] == ["live"]

    health = db_session.execute(
        sa.select(Supplier).where(Supplier.companies_house_number == "01234501")
    ).scalar_one()
    scotland = db_session.execute(
        sa.select(Supplier).where(Supplier.companies_house_number == "SC123456")
    ).scalar_one()
    clinic = db_session.execute(
        sa.select(Supplier).where(Supplier.companies_house_number == "01234503")
    ).scalar_one()
    assert health.group_id == scotland.group_id
    assert health.group.name == "Test Holdings"
    assert clinic.group.name == "Small Clinic Software Ltd"  # a group of its own name
    assert health.normalised_name == "test health"
    assert health.aliases == ["Test Health Systems", "TH"]
    assert clinic.sme is True

    availability = db_session.execute(
        sa.select(Obligation).where(Obligation.title == "Availability")
    ).scalar_one()
    assert availability.supplier_id == health.id
    assert availability.kpi_target == Decimal("99.5")
    assert availability.lot is not None and availability.lot.number == "1"
    exit_plan = db_session.execute(
        sa.select(Obligation).where(Obligation.title == "Exit plan")
    ).scalar_one()
    assert exit_plan.supplier_id == clinic.id and exit_plan.mandatory is False

    renewal = db_session.execute(
        sa.select(Contract).where(Contract.reference == "TST-002")
    ).scalar_one()
    first = db_session.execute(
        sa.select(Contract).where(Contract.reference == "TST-001")
    ).scalar_one()
    # The predecessor is a later line of the same file.
    assert renewal.predecessor_id == first.id
    assert renewal.procurement_method == ProcurementMethod.direct_award
    assert renewal.original_end_date == datetime.date(2026, 1, 31)
    assert first.original_end_date == datetime.date(2022, 1, 31)
    assert first.supplier_id == health.id  # found by name
    assert renewal.source == "csv" and renewal.publication == Publication.published
    draft = db_session.execute(
        sa.select(Contract).where(Contract.reference == "TST-003")
    ).scalar_one()
    assert draft.publication == Publication.draft and draft.lot_id is None

    event = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "csv.imported", AuditEvent.subject_id.startswith("contracts:")
        )
    ).scalar_one()
    assert event.actor_label == "cli"
    assert event.after is not None
    assert sorted(event.after["ids"]) == sorted(results["contracts"].created_ids)
    assert event.after["created"] == 3 and len(event.after["sha256"]) == 64


def test_reimport_creates_nothing_and_reports_rows_as_present(
    db_session: Session, buyers: None
) -> None:
    _import_all(db_session)
    counts = [
        _count(db_session, m)
        for m in (Framework, Lot, Supplier, SupplierGroup, Obligation, Contract)
    ]
    again = _import_all(db_session)
    for kind, result in again.items():
        assert result.ok, result.problems
        assert result.created_ids == [], kind
        assert len(result.present) == result.rows, kind
    assert [
        _count(db_session, m)
        for m in (Framework, Lot, Supplier, SupplierGroup, Obligation, Contract)
    ] == counts
    assert again["contracts"].present[0] == (2, "TST-002")


def test_a_file_with_bad_rows_writes_nothing_and_lists_every_problem(
    db_session: Session, buyers: None
) -> None:
    SupplierFactory.create(companies_house_number="01234501")
    events = _count(db_session, AuditEvent)
    result = _import(db_session, "contracts", "contracts-bad.csv")
    assert not result.ok
    assert _count(db_session, Contract) == 0
    assert _count(db_session, AuditEvent) == events
    expected = [
        "contracts-bad.csv:3: column title: a value is required",
        "contracts-bad.csv:3: column value_amount: must be a number from 0 to "
        "9,999,999,999,999,999.99, with at most 2 decimal places",
        "contracts-bad.csv:4: column buyer: there is no buyer with identifier ZZ99 in the registry",
        "contracts-bad.csv:5: column reference: BAD-1 is also on line 2",
        "contracts-bad.csv:6: column end_date: end date must be the same as or after the start date",
        "contracts-bad.csv:7: column value_amount: 'ten' is not a number, like 1200000.00",
        "contracts-bad.csv:7: column currency: 'XXX' is not an ISO 4217 currency code, like GBP",
        "contracts-bad.csv:7: column start_date: '2023-02-30' is not a date in the form YYYY-MM-DD, like 2024-03-31",
        "contracts-bad.csv:7: column procurement_method: 'haggling' is not one of: open, selective, limited, direct award, further competition",
        "contracts-bad.csv:7: column number_of_tenderers: '1.5' is not a whole number from 0 to "
        "2,147,483,647",
        "contracts-bad.csv:7: column cpv_code: '480' is not a CPV code: 8 digits and an optional check digit",
        "contracts-bad.csv:7: column supplier_companies_house_number: there is no supplier with Companies House number 99999999 in the registry",
    ]
    for problem in expected:
        assert problem in result.problems, result.problems
    assert not any(":2:" in problem for problem in result.problems)  # line 2 is fine
    assert len(result.problems) == len(expected)


def test_missing_and_unknown_columns_are_named(db_session: Session) -> None:
    result = _import(db_session, "suppliers", "suppliers-missing-columns.csv")
    assert result.problems == [
        "suppliers-missing-columns.csv:1: column colour: unknown column; the suppliers columns are "
        "name, companies_house_number, duns, party_id, sme, group, aliases, illustrative",
        "suppliers-missing-columns.csv:1: column name: required column is missing from the header",
    ]
    assert _count(db_session, Supplier) == 0


def test_a_file_that_is_not_utf8_is_refused(db_session: Session) -> None:
    result = _import(db_session, "suppliers", "suppliers-latin1.csv")
    assert len(result.problems) == 1
    assert result.problems[0].startswith("suppliers-latin1.csv:2: the file is not UTF-8 text")
    assert _count(db_session, Supplier) == 0


@pytest.mark.parametrize(
    ("kind", "text", "problem"),
    [
        ("suppliers", "", "x.csv:1: the file is empty"),
        ("suppliers", "name,name\nA,B\n", "x.csv:1: column name: the column is named twice"),
        ("suppliers", "name,sme\nA\n", "x.csv:2: the row has 1 values but the header has 2"),
        ("suppliers", "name,sme\nA,perhaps\n", "x.csv:2: column sme: 'perhaps' is not yes or no"),
        (
            "suppliers",
            "name,companies_house_number\nA,ABC\n",
            "x.csv:2: column companies_house_number: 'ABC' is not a Companies House number",
        ),
        ("suppliers", "name,duns\nA,12\n", "x.csv:2: column duns: '12' is not a DUNS number"),
        (
            "suppliers",
            "name,companies_house_number\nA,01234567\nB,1234567\n",
            "x.csv:3: column companies_house_number: 01234567 is also on line 2",
        ),
        (
            "suppliers",
            "name\nSame Ltd\nSAME LIMITED\n",
            "x.csv:3: column name: SAME LIMITED is also on line 2",
        ),
        (
            "frameworks",
            "reference,title,owner_body,status\nRM1,T,O,closed\n",
            "x.csv:2: column status: 'closed' is not one of: coming, open",
        ),
        (
            "frameworks",
            "reference,title,owner_body,status,start_date,end_date\nRM1,T,O,live,2024-01-01,2023-01-01\n",
            "x.csv:2: column end_date: must be the same as or after the start date",
        ),
        (
            "frameworks",
            "reference,title,owner_body,status,lots\nRM1,T,O,live,1: A | Two\n",
            "x.csv:2: column lots: 'Two' is not NUMBER: TITLE",
        ),
        (
            "frameworks",
            "reference,title,owner_body,status,source_url\nRM1,T,O,live,ftp://x\n",
            "x.csv:2: column source_url: 'ftp://x' is not a web address",
        ),
        (
            "obligations",
            "framework_reference,category,title\nRM0000,security,DSPT\n",
            "x.csv:2: column framework_reference: there is no framework with reference RM0000",
        ),
        (
            "obligations",
            "framework_reference,category,title,kpi_target\nRM0000,security,DSPT,99\n",
            "x.csv:2: column kpi_direction: needed with a KPI target",
        ),
        (
            "contracts",
            "reference,title,buyer\nC1,T,RT1\n",
            "x.csv:2: column supplier_name: give the supplier's Companies House number or its name",
        ),
        (
            "contracts",
            "reference,title,buyer,supplier_name,predecessor_reference\nC1,T,RT1,Nobody,C9\n",
            "x.csv:2: column predecessor_reference: there is no contract with reference C9",
        ),
    ],
)
def test_each_kind_of_bad_cell_is_named(
    db_session: Session, buyers: None, kind: str, text: str, problem: str
) -> None:
    result = _import(db_session, kind, "x.csv", text)
    assert any(p.startswith(problem) for p in result.problems), result.problems
    assert result.created_ids == []


def test_contract_references_are_checked_against_the_registry(
    db_session: Session, buyers: None
) -> None:
    survivor = SupplierFactory.create(name="New Name Ltd", companies_house_number="01111111")
    SupplierFactory.create(
        name="Old Name Ltd", companies_house_number="02222222", merged_into=survivor
    )
    other = BuyerFactory.create(identifier="RT9")
    ContractFactory.create(reference="OTHER-1", buyer=other)
    text = (
        "reference,title,buyer,supplier_companies_house_number,predecessor_reference\n"
        "C1,Merged,RT1,02222222,\n"
        "C2,Wrong predecessor,RT1,01111111,OTHER-1\n"
        "C3,Loop,RT1,01111111,C4\n"
        "C4,Loop,RT1,01111111,C3\n"
    )
    result = _import(db_session, "contracts", "x.csv", text)
    assert (
        "x.csv:2: column supplier_companies_house_number: Supplier Old Name Ltd was merged into "
        f"New Name Ltd: use that record (registry number {survivor.id}, Companies House number "
        "01111111)"
    ) in result.problems
    assert "x.csv:3: column predecessor_reference: OTHER-1 is a contract of another buyer" in (
        result.problems
    )
    assert (
        "x.csv:4: column predecessor_reference: the predecessors in this file go round in a loop"
        in result.problems
    )
    assert _count(db_session, Contract, Contract.reference.in_(["C1", "C2", "C3", "C4"])) == 0


def test_a_lot_is_needed_when_the_framework_has_several(db_session: Session, buyers: None) -> None:
    _import(db_session, "frameworks")
    _import(db_session, "suppliers")
    text = (
        "reference,title,buyer,supplier_companies_house_number,award_date,framework_reference,"
        "lot_number\n"
        "C1,T,RT1,01234501,2020-06-01,RM9901,\n"
        "C2,T,RT1,01234501,2020-06-01,RM9901,7\n"
        "C3,T,RT1,01234501,2020-06-01,RM9902,\n"
    )
    result = _import(db_session, "contracts", "x.csv", text)
    assert result.problems == [
        "x.csv:2: column lot_number: needed: framework RM9901 has lots 1, 2",
        "x.csv:3: column lot_number: framework RM9901 has no lot 7",
    ]
    # RM9902 has one lot, so C3 needed no lot number: fixing the two rows imports all three.
    fixed = text.replace("RM9901,\n", "RM9901,2\n").replace("RM9901,7", "RM9901,1")
    assert len(_import(db_session, "contracts", "x.csv", fixed).created_ids) == 3


def test_a_bom_and_blank_lines_are_fine(db_session: Session) -> None:
    data = "\ufeffname,sme\r\n\r\nAcme Ltd,yes\r\n".encode()
    result = import_csv(db_session, "suppliers", data, "bom.csv")
    assert result.ok and len(result.created_ids) == 1


def test_unknown_kind_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="not a CSV kind"):
        import_csv(db_session, "payments", b"", "x.csv")
