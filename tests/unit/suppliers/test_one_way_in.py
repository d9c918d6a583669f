"""One way to make a supplier (and a buyer): every way in — the service, the CSV import, the
seed, the OCDS import and the scoring seed — records the same name and key for the same name
and identifier, so a supplier arriving by two ways is one record; and every way in refuses a
name that normalises to nothing (the OCDS import records it as a data-quality finding)."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.buyers.services import BuyerError, BuyerInput, BuyerService
from registry.contracts.models import Contract
from registry.csvimport.services import import_csv
from registry.identifiers import NAME_PROBLEM
from registry.opendata.importer import ImportRefused, import_file
from registry.opendata.models import ImportFinding
from registry.scoring.seed import ScoringSeedError, load_scoring_seed
from registry.seed import SEED_DIR, SeedDataError, load_seed_data
from registry.suppliers.models import Supplier
from registry.suppliers.services import SupplierError, SupplierInput, SupplierService

NAME = "Gamma  Software Ltd"  # as given on every way in: two spaces, a legal form
NUMBER = "01234567"
RECORDED = ("Gamma Software Ltd", "gamma software")
TODAY = datetime.date(2026, 11, 25)


def _org(name: str, identifier: tuple[str, str] | None = None) -> dict[str, Any]:
    org: dict[str, Any] = {"name": name}
    if identifier:
        org["identifier"] = {"scheme": identifier[0], "id": identifier[1]}
    return org


def _release(n: int, supplier: dict[str, Any], buyer: dict[str, Any] | None = None) -> Any:
    return {
        "ocid": f"ocds-oneway-{n}",
        "id": f"ocds-oneway-{n}-award",
        "date": "2024-03-01T00:00:00Z",
        "tag": ["award"],
        "buyer": {"id": "b", **(buyer or _org("Kent County Council"))},
        "tender": {"procurementMethod": "open"},
        "awards": [
            {
                "id": "1",
                "value": {"amount": 1000 + n, "currency": "GBP"},
                "suppliers": [{"id": "s", **supplier}],
            }
        ],
    }


def _import_ocds(db: Session, tmp_path: Path, *releases: Any, strict: bool = False) -> Any:
    path = tmp_path / "oneway.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in releases) + "\n")
    summary = import_file(db, path, path.name, strict=strict)
    db.expire_all()  # the bulk writes go around the session
    return summary


def _seed_copy(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    directory = Path(shutil.copytree(SEED_DIR, tmp_path / "seed_data"))
    path = directory / "suppliers.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return directory


def _add_supplier(name: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["groups"].append({"key": "gamma-group", "name": "Gamma Holdings"})
        data["suppliers"].append(
            {"key": "gamma", "name": name, "group": "gamma-group", "companies_house_number": NUMBER}
        )

    return change


def _scoring_seed(tmp_path: Path, name: str) -> Path:
    (tmp_path / "scoring").mkdir()
    data = {"assessments": [], "fictional_suppliers": [{"name": name}]}
    (tmp_path / "scoring" / "assessments.json").write_text(json.dumps(data))
    return tmp_path


# Each way in, given NAME (and NUMBER where the way takes an identifier).


def _by_service(db: Session, tmp_path: Path) -> None:
    SupplierService(db).create(SupplierInput(name=NAME, companies_house_number=NUMBER), actor=None)


def _by_csv(db: Session, tmp_path: Path) -> None:
    data = f"name,companies_house_number\n{NAME},{NUMBER}\n".encode()
    assert import_csv(db, "suppliers", data, "suppliers.csv").problems == []


def _by_seed(db: Session, tmp_path: Path) -> None:
    load_seed_data(db, _seed_copy(tmp_path, _add_supplier(NAME)))


def _by_ocds(db: Session, tmp_path: Path) -> None:
    _import_ocds(db, tmp_path, _release(1, _org(NAME, ("GB-COH", NUMBER))))


def _by_scoring_seed(db: Session, tmp_path: Path) -> None:
    load_scoring_seed(db, _scoring_seed(tmp_path, NAME), TODAY)


@pytest.mark.parametrize(
    ("way", "number"),
    [
        (_by_service, NUMBER),
        (_by_csv, NUMBER),
        (_by_seed, NUMBER),
        (_by_ocds, NUMBER),
        (_by_scoring_seed, None),  # fictional suppliers have no identifier
    ],
    ids=["service", "csv", "seed", "ocds", "scoring-seed"],
)
def test_each_way_in_records_the_same_name_and_key(
    db_session: Session, tmp_path: Path, way: Any, number: str | None
) -> None:
    way(db_session, tmp_path)
    found = db_session.execute(
        sa.select(Supplier.name, Supplier.normalised_name, Supplier.companies_house_number).where(
            Supplier.name.like("Gamma%")
        )
    ).all()
    assert found == [(*RECORDED, number)]


def test_a_supplier_arriving_by_three_ways_is_one_record(
    db_session: Session, tmp_path: Path
) -> None:
    made = SupplierService(db_session).create(SupplierInput(name="Gamma Software Ltd"), actor=None)
    # Another case, spacing and legal form by CSV; punctuation by OCDS; no identifier either way.
    result = import_csv(db_session, "suppliers", b"name\nGAMMA   SOFTWARE LIMITED\n", "s.csv")
    assert (result.problems, result.created_ids) == ([], [])
    assert result.present == [(2, "name GAMMA   SOFTWARE LIMITED")]
    summary = _import_ocds(db_session, tmp_path, _release(1, _org("gamma software, ltd.")))
    assert (summary.created, summary.suppliers) == (1, 0)
    contract = db_session.execute(
        sa.select(Contract).where(Contract.ocid == "ocds-oneway-1")
    ).scalar_one()
    assert contract.supplier_id == made.id
    keys = db_session.execute(sa.select(Supplier.normalised_name)).scalars().all()
    assert keys.count("gamma software") == 1


def test_a_name_in_another_script_is_one_record_whatever_its_punctuation(
    db_session: Session, tmp_path: Path
) -> None:
    """Names with no ASCII letters keep their own: the service and the import agree on them."""
    made = SupplierService(db_session).create(SupplierInput(name='ЧП "Оксимед"'), actor=None)
    summary = _import_ocds(db_session, tmp_path, _release(1, _org("ЧП «ОКСИМЕД»")))
    assert summary.suppliers == 0
    contract = db_session.execute(
        sa.select(Contract).where(Contract.ocid == "ocds-oneway-1")
    ).scalar_one()
    assert (contract.supplier_id, made.normalised_name) == (made.id, "чп оксимед")


def test_a_buyer_arriving_by_the_service_and_ocds_is_one_record(
    db_session: Session, tmp_path: Path
) -> None:
    made = BuyerService(db_session).create(
        BuyerInput(name="Kent County Council", buyer_type="local authority"), actor=None
    )
    summary = _import_ocds(
        db_session, tmp_path, _release(1, _org("Delta Ltd"), _org("KENT  COUNTY COUNCIL."))
    )
    assert (summary.created, summary.buyers) == (1, 0)
    contract = db_session.execute(
        sa.select(Contract).where(Contract.ocid == "ocds-oneway-1")
    ).scalar_one()
    assert contract.buyer_id == made.id


# A name that normalises to nothing: refused, naming the field, line or JSON path.


def test_the_services_refuse_a_name_that_normalises_to_nothing(db_session: Session) -> None:
    with pytest.raises(SupplierError) as supplier:
        SupplierService(db_session).create(SupplierInput(name="The Company Ltd"), actor=None)
    assert dict(supplier.value.errors) == {"name": NAME_PROBLEM}
    with pytest.raises(BuyerError) as buyer:
        BuyerService(db_session).create(
            BuyerInput(name="- UK Ltd -", buyer_type="local authority"), actor=None
        )
    assert dict(buyer.value.errors) == {"name": NAME_PROBLEM}


def test_the_csv_import_refuses_it_naming_the_line(db_session: Session) -> None:
    data = b"name,companies_house_number\nGamma Software Ltd,01234567\nLimited,07654321\n"
    result = import_csv(db_session, "suppliers", data, "suppliers.csv")
    assert result.problems == [f"suppliers.csv:3: column name: Limited: {NAME_PROBLEM}"]
    assert result.created_ids == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Supplier)) == 0


def test_the_seed_refuses_it_naming_the_json_path(db_session: Session, tmp_path: Path) -> None:
    with pytest.raises(SeedDataError) as info:
        load_seed_data(db_session, _seed_copy(tmp_path, _add_supplier("Ltd.")))
    index = len(json.loads((SEED_DIR / "suppliers.json").read_text())["suppliers"])
    assert info.value.problems == [
        f"seed_data/suppliers.json: $.suppliers[{index}].name: 'Ltd.': {NAME_PROBLEM}"
    ]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Supplier)) == 0


def test_the_scoring_seed_refuses_it_naming_the_json_path(
    db_session: Session, tmp_path: Path
) -> None:
    with pytest.raises(ScoringSeedError) as info:
        load_scoring_seed(db_session, _scoring_seed(tmp_path, "PLC"), TODAY)
    assert info.value.problems == [
        f"{tmp_path.name}/scoring/assessments.json at $.fictional_suppliers[0].name: "
        f"'PLC': {NAME_PROBLEM}"
    ]


def test_the_ocds_import_records_it_as_a_finding_and_goes_on(
    db_session: Session, tmp_path: Path
) -> None:
    """Known by its identifier alone: the two identified parties stay two suppliers, and the
    unidentified one of no usable name is one record whichever release names it."""
    releases = [
        _release(1, _org("Ltd", ("GB-COH", "01234567"))),
        _release(2, _org("Ltd", ("GB-COH", "07654321"))),
        _release(3, _org("- -"), _org("The Co.")),
        _release(4, _org("...")),
        _release(5, _org("Ltd", ("GB-COH", "1234567"))),  # the first one again
    ]
    summary = _import_ocds(db_session, tmp_path, *releases)
    assert (summary.created, summary.suppliers) == (5, 3)
    suppliers = {
        c.ocid: (c.supplier_id, c.supplier.companies_house_number)
        for c in db_session.execute(sa.select(Contract)).scalars()
    }
    first, second, third, fourth, fifth = (suppliers[f"ocds-oneway-{n}"] for n in range(1, 6))
    assert first[1] == "01234567" and second[1] == "07654321" and third[1] is None
    assert first == fifth and third == fourth and len({first, second, third}) == 3
    findings = {
        (f.rule, f.path): (f.count, f.example)
        for f in db_session.execute(
            sa.select(ImportFinding).where(ImportFinding.run_id == summary.run_id)
        ).scalars()
    }
    # Once per organisation: the two identified suppliers, the two unidentified names, the buyer.
    assert findings == {
        ("unusable-name", "releases[].awards[].suppliers[].name"): (4, '"Ltd"'),
        ("unusable-name", "releases[].buyer.name"): (1, '"The Co."'),
    }
    assert summary.findings["unusable-name"] == 5
    buyer = db_session.execute(
        sa.select(Buyer).join(Contract).where(Contract.ocid == "ocds-oneway-3")
    ).scalar_one()
    assert (buyer.name, buyer.normalised_name) == ("The Co.", "")

    # Again, nothing new: they are found by identifier, and by the empty key.
    again = _import_ocds(db_session, tmp_path, *(dict(r, id=r["id"] + "-2") for r in releases))
    assert (again.created, again.suppliers) == (0, 0)


def test_with_strict_the_ocds_import_refuses_it(db_session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportRefused) as refused:
        _import_ocds(db_session, tmp_path, _release(1, _org("Limited")), strict=True)
    assert refused.value.messages == [
        f"oneway.jsonl: the supplier without an identifier: name 'Limited': {NAME_PROBLEM}"
    ]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Supplier)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Buyer)) == 0
