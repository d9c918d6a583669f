"""`registry import csv` fed rubbish: a message naming the file (and line and column where there is
one), exit status 1, no traceback, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registry.cli.import_csv import MAX_BYTES
from registry.db import create_engine
from tests.common.cli import run_cli, write_ini

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
