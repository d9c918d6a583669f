"""The commands that write (seed, import, detect, score, a snapshot) move the data version, so pages cached
before them are drawn again; a refused import moves nothing (issue 21)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from registry.changes.version import current_version
from registry.db import create_engine
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA, DatabaseFactory

GOOD = SHARED_DATA / "mexico-jalisco-2018" / "record-packages" / "ocds-xs1qbl-02-0070-00-2017.json"


def version(url: str) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            return current_version(db)
    finally:
        engine.dispose()


def test_seed_import_detect_and_score_move_the_version(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    url = database_factory.seeded()
    ini = write_ini(tmp_path, url)
    seeded = version(url)
    assert seeded > 0, "the seed moved it"

    exported = run_cli(ini, "export", "csv", "--out", str(tmp_path / "csv"))
    assert exported.exit_code == 0, exported.output
    assert version(url) == seeded, "a command that only reads moves nothing"

    steps = [
        ("import", "ocds", str(GOOD)),
        ("detect",),
        ("score",),
        ("export", "snapshot", "--out", str(tmp_path / "snapshots")),  # files /data lists
    ]
    last = seeded
    for step in steps:
        result = run_cli(ini, *step)
        assert result.exit_code == 0, result.output
        now = version(url)
        assert now > last, step
        last = now
