"""An OCDS import killed with SIGKILL half-way leaves the database as it was before the file it
was in, and running the same command again completes with no duplicates (issue 9, faults)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from registry.db import create_engine
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA
from tests.functional.opendata.test_import_cli import counts, expected

ARMENIA = SHARED_DATA / "armenia-armeps-2018"
FIRST = ARMENIA / "release-package-1.json"
REGISTRY = Path(sys.executable).parent / "registry"
COPIES = 3


def _second_file(directory: Path) -> Path:
    """Every real Armenian release three times over, under ocids of their own (2,700 releases):
    more than one of the importer's batches, so the file's transaction stays open, having
    written, while it maps the next batch. A file of one batch writes for a few milliseconds
    only, and the kill would race its commit."""
    path = directory / "armenia-three-times.jsonl"
    with path.open("w") as out:
        for copy in range(1, COPIES + 1):
            for package in sorted(ARMENIA.glob("release-package-*.json")):
                for release in json.loads(package.read_text())["releases"]:
                    release["ocid"] = f"{release['ocid']}-copy{copy}"
                    release["id"] = f"{release['id']}-copy{copy}"
                    out.write(json.dumps(release) + "\n")
    return path


def _writing(url: str) -> bool:
    """Whether another process holds an open write transaction on the database."""
    if url.startswith("sqlite"):
        # A writer holds the lock BEGIN IMMEDIATE needs (a plain connection: no retry, no
        # SQLAlchemy BEGIN of its own).
        conn = sqlite3.connect(sa.make_url(url).database or "", timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid() "
                        "AND backend_xid IS NOT NULL"
                    )
                )
            )
    finally:
        engine.dispose()


def _import_and_kill(ini: Path, url: str, files: list[Path]) -> str:
    """Start `registry import ocds`, wait for the first file to be committed and the second's
    transaction to be writing, then SIGKILL it. Returns what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    process = subprocess.Popen(
        [str(REGISTRY), "--config", str(ini), "import", "ocds", *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(files[0].name), first
        deadline = time.monotonic() + 60
        while not _writing(url):
            assert process.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "the second file never started writing"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return first


def test_a_killed_import_leaves_the_database_consistent_and_reruns_cleanly(
    database_factory: Any, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    assert run_cli(ini, "reindex").exit_code == 0  # as `registry init` leaves it: imports index
    files = [FIRST, _second_file(tmp_path)]
    _import_and_kill(ini, url, files)

    # Exactly the first file is in; nothing of the second; no lock is left behind.
    first = expected(files[:1])
    rows = counts(url)
    assert rows["imported_releases"] == first["releases"]
    assert rows["contracts"] == first["contracts"]
    assert rows["suppliers"] == first["suppliers"]
    assert not _writing(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()
    verify = run_cli(ini, "audit", "verify")
    assert verify.exit_code == 0, verify.output

    # Running the same command again completes: the first file is unchanged, the second is in.
    again = run_cli(ini, "import", "ocds", *map(str, files))
    assert again.exit_code == 0, again.output
    both = expected(files)
    rows = counts(url)
    assert rows["imported_releases"] == both["releases"]
    assert rows["contracts"] == both["contracts"]
    assert rows["suppliers"] == both["suppliers"]
    assert rows["buyers"] == both["buyers"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            duplicates = conn.execute(
                sa.text(
                    "SELECT reference, count(*) FROM contracts "
                    "GROUP BY reference HAVING count(*) > 1"
                )
            ).all()
    finally:
        engine.dispose()
    assert duplicates == []
    assert run_cli(ini, "audit", "verify").exit_code == 0
