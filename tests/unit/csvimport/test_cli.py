"""`registry import csv KIND FILE` against a fresh database, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.suppliers.models import Supplier
from tests.common.cli import run_cli, write_ini

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"


def _database(database_factory: Any, tmp_path: Path) -> tuple[Path, str]:
    url = database_factory.fresh()
    engine = create_engine(url)
    try:
        with Session(engine) as db, db.begin():
            for code in ("RT1", "RT2"):
                db.add(
                    Buyer(
                        name=f"Trust {code}",
                        normalised_name=f"trust {code.lower()}",
                        buyer_type=BuyerType.nhs_trust,
                        identifier_scheme="GB-NHS-ODS",
                        identifier=code,
                    )
                )
    finally:
        engine.dispose()
    return write_ini(tmp_path, url), url


def _count(url: str, model: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_imports_each_kind_then_reimport_creates_nothing(
    database_factory: Any, tmp_path: Path
) -> None:
    ini, url = _database(database_factory, tmp_path)
    for kind, created in (
        ("frameworks", 2),
        ("suppliers", 3),
        ("obligations", 3),
        ("contracts", 3),
    ):
        result = run_cli(ini, "import", "csv", kind, str(DATA / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
        assert f"{created} {kind} created, 0 already present" in result.output
    assert _count(url, Contract) == 3

    again = run_cli(
        ini, "import", "csv", "contracts", str(DATA / "contracts.csv"), "--json", "--list-present"
    )
    assert again.exit_code == 0, again.output
    lines = again.output.strip().splitlines()
    assert lines[0].endswith("contracts.csv:2: already present: TST-002")
    assert json.loads(lines[-1]) == {
        "kind": "contracts",
        "file": str(DATA / "contracts.csv"),
        "rows": 3,
        "created": 0,
        "already_present": 3,
        "problems": 0,
    }
    assert _count(url, Contract) == 3


def test_bad_file_exits_1_lists_every_problem_and_writes_nothing(
    database_factory: Any, tmp_path: Path
) -> None:
    ini, url = _database(database_factory, tmp_path)
    assert run_cli(ini, "import", "csv", "suppliers", str(DATA / "suppliers.csv")).exit_code == 0
    suppliers = _count(url, Supplier)
    result = run_cli(ini, "import", "csv", "contracts", str(DATA / "contracts-bad.csv"))
    assert result.exit_code == 1
    bad = str(DATA / "contracts-bad.csv")
    # contracts-bad.csv names supplier 01234501, which suppliers.csv holds: line 2 is good.
    for line in (3, 4, 5, 6, 7):
        assert f"{bad}:{line}: column " in result.output
    assert f"{bad}:2:" not in result.output
    assert "nothing was imported" in result.output
    assert _count(url, Contract) == 0
    assert _count(url, Supplier) == suppliers


def test_non_utf8_file_is_refused(database_factory: Any, tmp_path: Path) -> None:
    ini, url = _database(database_factory, tmp_path)
    result = run_cli(ini, "import", "csv", "suppliers", str(DATA / "suppliers-latin1.csv"))
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output
    assert _count(url, Supplier) == 0


def test_unknown_kind_is_a_usage_error(database_factory: Any, tmp_path: Path) -> None:
    ini, _ = _database(database_factory, tmp_path)
    result = run_cli(ini, "import", "csv", "lots", str(DATA / "suppliers.csv"))
    assert result.exit_code == 2
    assert "'lots' is not one of" in result.output
