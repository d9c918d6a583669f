"""`registry import csv` fed rubbish: a message naming the file (and line and column where there is
one), exit status 1, no traceback, and nothing written. Every number column of every kind gets
numbers its database column cannot hold (10^20, 400 digits, -10^20, NaN, Infinity, and -1 where
it counts from 0) and every date column dates no calendar has, one row each: each refused by line
and column, with the range. The columns come from the importer's own definitions, so a column
added later is covered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registry.cli.import_csv import MAX_BYTES
from registry.csvimport.columns import COLUMNS, KINDS
from registry.db import create_engine
from tests.common.access import row_counts
from tests.common.cli import run_cli, write_ini
from tests.functional.badinput.corpus import BAD_DATES, NEGATIVE, OUT_OF_RANGE

HEADER = b"name,companies_house_number,duns,party_id,sme,group,aliases,illustrative\n"
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "bad.csv"),
    "non_utf8": (HEADER + b"Caf\xe9 Systems Ltd,01234599,,,no,,,no\n", "bad.csv:2"),
    "wrong_columns": (b"colour,size\nred,9\n", "bad.csv"),
    "overlong": (HEADER + b"x" * 100_000 + b",01234599,,,no,,,no\n", "bad.csv:2"),
    "wrong_type": (HEADER + b"Good Name Ltd,not-a-number,abc,,perhaps,,,no\n", "bad.csv:2"),
    "binary": (b"\x00\x01\x02PK\x03\x04" * 1000, "bad.csv"),
}


@pytest.fixture(scope="module")
def database(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    url = database_factory.fresh()
    return write_ini(tmp_path_factory.mktemp("badcsv"), url), url


def _suppliers(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM suppliers")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_csv_is_refused_whole(database: tuple[Path, str], tmp_path: Path, case: str) -> None:
    ini, url = database
    content, where = BAD_FILES[case]
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = _suppliers(url)

    result = run_cli(ini, "import", "csv", "suppliers", str(path))

    assert result.exit_code == 1, result.output
    assert where in result.output, result.output
    assert "Traceback" not in result.output
    assert _suppliers(url) == before


def test_huge_file_is_refused_before_it_is_read(database: tuple[Path, str], tmp_path: Path) -> None:
    ini, url = database
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:  # sparse: takes no disk, but reports its size
        f.truncate(MAX_BYTES + 1)
    before = _suppliers(url)

    result = run_cli(ini, "import", "csv", "suppliers", str(path))

    assert result.exit_code == 1
    assert "larger than" in result.output
    assert _suppliers(url) == before


def test_injection_text_is_stored_as_text(database: tuple[Path, str], tmp_path: Path) -> None:
    ini, url = database
    path = tmp_path / "inject.csv"
    path.write_bytes(HEADER + b"'; DROP TABLE users; -- Ltd,01234598,,,no,,,no\n")

    result = run_cli(ini, "import", "csv", "suppliers", str(path))

    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT name FROM suppliers")).scalars().all()
            conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one()  # still there
    finally:
        engine.dispose()
    assert "'; DROP TABLE users; -- Ltd" in names


def bad_cells(kind: str) -> list[tuple[str, str, str]]:
    """(column, value, what its refusal must say) for every number and date column of `kind`."""
    cells = []
    for column in COLUMNS[kind]:
        if column.type in ("integer", "decimal"):
            values = list(OUT_OF_RANGE.values())
            if column.bounds.minimum > -1:
                values.append(NEGATIVE)
            cells += [(column.name, v, column.bounds.describe()) for v in values]
        elif column.type == "date":
            cells += [
                (column.name, v, "is not a date in the form YYYY-MM-DD") for v in BAD_DATES.values()
            ]
    return cells


def test_every_number_and_date_column_is_tried() -> None:
    tried = {(kind, name) for kind in KINDS for name, _, _ in bad_cells(kind)}
    assert {("contracts", "value_amount"), ("obligations", "kpi_target")} <= tried
    assert {("assessments", "measured_value"), ("frameworks", "start_date")} <= tried


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return row_counts(connection)
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", [k for k in KINDS if bad_cells(k)])
def test_numbers_and_dates_no_column_holds_are_refused_by_line_and_column(
    database: tuple[Path, str], tmp_path: Path, kind: str
) -> None:
    ini, url = database
    names = [c.name for c in COLUMNS[kind]]
    cells = bad_cells(kind)
    lines = [",".join(names)]
    for name, value, _ in cells:  # one bad cell a row: its line names it
        lines.append(",".join(value if n == name else "" for n in names))
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    before = _counts(url)

    result = run_cli(ini, "import", "csv", kind, str(path))

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    missing = [
        f"line {line}: {name}={value[:20]}: {said}"
        for line, (name, value, said) in enumerate(cells, start=2)
        if f"bad.csv:{line}: column {name}: " not in result.output
        or said not in result.output.split(f"bad.csv:{line}: column {name}: ")[1].split("\n")[0]
    ]
    assert missing == [], result.output[:3000]
    after = _counts(url)
    assert {t for t in after if after[t] != before[t]} <= {"import_runs"}  # the ledger's refusal
