"""The seed files meet their JSON Schemas and agree with each other; broken copies are refused
with messages naming the file and the JSON path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from registry.buyers.models import BuyerType
from registry.contracts.models import ProcurementMethod
from registry.frameworks.models import (
    FrameworkStatus,
    KPIDirection,
    MembershipStatus,
    ObligationCategory,
)
from registry.seed import SEED_DIR, SeedDataError, read_seed_data
from registry.seed.checks import check_references
from registry.seed.files import SCHEMA_DIR, SCHEMA_NAMES, validator


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert validator(name) is validator(name)  # loaded once


def test_every_seed_file_validates_and_agrees() -> None:
    seed = read_seed_data()
    assert {f.data["reference"] for f in seed.frameworks} == {
        "GPSoC",
        "GPITF",
        "RM1557.13",
        "RM6068",
        "RM1043.8",
        "RM6100",
    }
    assert sorted(
        f"seed_data/{p.relative_to(SEED_DIR).as_posix()}" for p in SEED_DIR.rglob("*.json")
    ) == sorted(f.name for f in seed.files)
    assert check_references(seed) == []


def _enum(schema: str, *path: str) -> list[str]:
    node: Any = json.loads((SCHEMA_DIR / f"{schema}.schema.json").read_text())
    for key in path:
        node = node[key]
    return list(node["enum"])


@pytest.mark.parametrize(
    ("schema", "path", "enum"),
    [
        ("seed-framework", ("properties", "status"), FrameworkStatus),
        ("seed-framework", ("$defs", "membership", "properties", "status"), MembershipStatus),
        ("seed-framework", ("$defs", "obligation", "properties", "category"), ObligationCategory),
        (
            "seed-framework",
            ("$defs", "obligation", "properties", "kpi", "properties", "direction"),
            KPIDirection,
        ),
        ("seed-buyers", ("$defs", "buyer", "properties", "buyer_type"), BuyerType),
        (
            "seed-contracts",
            ("$defs", "contract", "properties", "procurement_method"),
            ProcurementMethod,
        ),
        (
            "seed-gp-practices",
            ("properties", "contracts", "properties", "procurement_method"),
            ProcurementMethod,
        ),
    ],
)
def test_schema_enums_match_the_models(schema: str, path: tuple[str, ...], enum: Any) -> None:
    assert _enum(schema, *path) == [member.value for member in enum]


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEED_DIR, tmp_path / "seed_data"))


def _edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _problems(directory: Path) -> list[str]:
    with pytest.raises(SeedDataError) as info:
        seed = read_seed_data(directory)
        problems = check_references(seed)
        if problems:
            raise SeedDataError(problems)
    return info.value.problems


def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("name", "path", "value", "expected"),
    [
        (
            "frameworks/gpsoc.json",
            ["lots", 0, "memberships", 0, "status"],
            "gone",
            "seed_data/frameworks/gpsoc.json: $.lots[0].memberships[0].status: 'gone' is not one of",
        ),
        (
            "frameworks/gpsoc.json",
            ["end_date"],
            "2018-02-30",
            "seed_data/frameworks/gpsoc.json: $.end_date: '2018-02-30' is not a 'date'",
        ),
        (
            "contracts.json",
            ["contracts", 2, "titel"],
            "typo",
            "seed_data/contracts.json: $.contracts[2]: Additional properties are not allowed",
        ),
        (
            "contracts.json",
            ["contracts", 0, "value_amount"],
            -5,
            "seed_data/contracts.json: $.contracts[0].value_amount: -5 is less than the minimum",
        ),
        (
            "suppliers.json",
            ["groups", 0, "companies_house_number"],
            "6553923",
            "seed_data/suppliers.json: $.groups[0].companies_house_number: '6553923' does not match",
        ),
        (
            "gp_practices.json",
            ["illustrative"],
            False,
            "seed_data/gp_practices.json: $.illustrative: True was expected",
        ),
    ],
)
def test_a_broken_copy_is_rejected_naming_file_and_path(
    seed_copy: Path, name: str, path: list[Any], value: Any, expected: str
) -> None:
    _edit(seed_copy, name, _set(path, value))
    problems = _problems(seed_copy)
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize(
    ("name", "path", "value", "expected"),
    [
        (
            "frameworks/gpsoc.json",
            ["lots", 0, "memberships", 1, "supplier"],
            "tppp",
            "seed_data/frameworks/gpsoc.json: $.lots[0].memberships[1].supplier: no supplier 'tppp'",
        ),
        (
            "frameworks/gpsoc.json",
            ["obligations", 0, "lot"],
            "9",
            "seed_data/frameworks/gpsoc.json: $.obligations[0].lot: no lot '9' on GPSoC",
        ),
        (
            "frameworks/gpsoc.json",
            ["end_date"],
            "2006-01-01",
            "seed_data/frameworks/gpsoc.json: $: end_date 2006-01-01 is before start_date",
        ),
        (
            "frameworks/ts3.json",
            ["reference"],
            "GPSoC",
            "seed_data/frameworks/ts3.json: $.reference: 'GPSoC' is also in",
        ),
        (
            "suppliers.json",
            ["suppliers", 3, "group"],
            "nobody",
            "seed_data/suppliers.json: $.suppliers[3].group: no group 'nobody'",
        ),
        (
            "buyers.json",
            ["buyers", 7, "identifier"],
            "RR8",
            "seed_data/buyers.json: $.buyers[7].identifier: GB-NHS-ODS RR8 is also buyer 6",
        ),
        (
            "contracts.json",
            ["contracts", 0, "predecessor"],
            "hmrc-capita-3",
            "seed_data/contracts.json: $.contracts[0].predecessor: the chain of predecessors loops",
        ),
        (
            "contracts.json",
            ["contracts", 3, "extensions", 0, "new_end_date"],
            "2021-01-01",
            "seed_data/contracts.json: $.contracts[3]: extensions[0].new_end_date 2021-01-01 is "
            "before original_end_date",
        ),
        (
            "contracts.json",
            ["contracts", 5, "lot"],
            "7",
            "seed_data/contracts.json: $.contracts[5].lot: no lot '7' on RM1557.13",
        ),
        (
            "contracts.json",
            ["contracts", 1, "buyer"],
            "hmrcc",
            "seed_data/contracts.json: $.contracts[1].buyer: no buyer 'hmrcc'",
        ),
        (
            "gp_practices.json",
            ["systems", 0, "practices"],
            4216,
            "seed_data/gp_practices.json: $.systems: the practices add up to 7527, not 7526",
        ),
        (
            "gp_practices.json",
            ["contracts", "lot"],
            "9",
            "seed_data/gp_practices.json: $.contracts.lot: no lot '9' on GPSoC",
        ),
    ],
)
def test_files_that_disagree_are_rejected_naming_file_and_path(
    seed_copy: Path, name: str, path: list[Any], value: Any, expected: str
) -> None:
    _edit(seed_copy, name, _set(path, value))
    problems = _problems(seed_copy)
    assert any(p.startswith(expected) for p in problems), problems


def test_invalid_json_names_line_and_column(seed_copy: Path) -> None:
    (seed_copy / "buyers.json").write_text('{\n  "buyers": [,]\n}\n')
    assert _problems(seed_copy) == [
        "seed_data/buyers.json: line 2 column 14: invalid JSON: Expecting value"
    ]


def test_unknown_and_missing_files_are_reported_together(seed_copy: Path) -> None:
    (seed_copy / "suppliers.json").rename(seed_copy / "supplier.json")
    problems = _problems(seed_copy)
    assert any(p.startswith("seed_data/supplier.json: no schema for this file") for p in problems)
    assert "seed_data/suppliers.json: missing" in problems


def test_every_problem_is_listed_not_only_the_first(seed_copy: Path) -> None:
    _edit(seed_copy, "frameworks/dos6.json", _set(["status"], "finished"))
    _edit(seed_copy, "buyers.json", _set(["buyers", 0, "buyer_type"], "bank"))
    problems = _problems(seed_copy)
    assert any(p.startswith("seed_data/frameworks/dos6.json: $.status") for p in problems)
    assert any(p.startswith("seed_data/buyers.json: $.buyers[0].buyer_type") for p in problems)


def test_other_features_seed_files_are_checked_against_their_schemas(seed_copy: Path) -> None:
    # Another feature's file (here a stand-in) must meet schemas/seed-<name>.schema.json.
    (seed_copy / "scoring").mkdir(exist_ok=True)
    (seed_copy / "scoring" / "assessments.json").write_text(json.dumps({"assessments": "none"}))
    (seed_copy / "scoring" / "notes.json").write_text("{}")
    problems = _problems(seed_copy)
    assert any(p.startswith("seed_data/scoring/assessments.json: $") for p in problems), problems
    assert (
        "seed_data/scoring/notes.json: no schema for this file "
        "(expected schemas/seed-notes.schema.json)" in problems
    )
