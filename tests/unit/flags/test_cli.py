"""`registry detect` through the real command, on a database of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.db import create_engine
from registry.flags.models import Flag, FlagStatus
from registry.flags.services import change_status
from tests.common.cli import run_cli, write_ini
from tests.common.db import base as factories
from tests.common.db.core import ContractFactory
from tests.common.db.flags import market
from tests.conftest import TEST_PASSWORD


def _database(database_factory: Any) -> str:
    url = database_factory.fresh()
    engine = create_engine(url)
    with Session(engine) as db:
        factories.bind(db)
        try:
            market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
            ContractFactory(cpv_code="72200000")
            db.commit()
        finally:
            factories.bind(None)
    engine.dispose()
    return url


def test_detect_json_prints_the_open_flags(tmp_path: Path, database_factory: Any) -> None:
    ini = write_ini(tmp_path, _database(database_factory))
    result = run_cli(ini, "detect", "--json")
    assert result.exit_code == 0, result.output
    flags = json.loads(result.output)
    concentration = [f for f in flags if f["detector"] == "market_concentration"]
    assert concentration == [
        {
            "detector": "market_concentration",
            "subject_type": "market",
            "subject": "cpv-48814",
            "subject_label": "Medical information systems (CPV 48814)",
            "severity": "high",
            "status": "open",
            "id": concentration[0]["id"],
            "metrics": concentration[0]["metrics"],
        }
    ]
    metrics = concentration[0]["metrics"]
    assert (metrics["hhi"], metrics["cr1"], metrics["cr2"], metrics["cr4"]) == (
        4374.0,
        0.56,
        0.9,
        1.0,
    )
    assert (metrics["basis"], metrics["market"]) == ("buyers", "cpv-48814")
    (duopoly,) = [f for f in flags if f["detector"] == "monopoly_duopoly"]
    assert duopoly["metrics"]["holders"] == ["EMIS", "TPP"]

    # A second run prints the same flags and raises nothing new.
    again = run_cli(ini, "detect", "--json")
    assert json.loads(again.output) == flags
    # Nothing changed: an incremental run recomputes nothing; a full one reruns every detector
    # and still raises nothing new.
    summary = run_cli(ini, "detect")
    assert "Nothing changed since the last run" in summary.output
    assert "market_concentration" not in summary.output
    summary = run_cli(ini, "detect", "--full")
    assert "market_concentration" in summary.output and "raised     0" in summary.output


def test_detect_one_detector(tmp_path: Path, database_factory: Any) -> None:
    url = _database(database_factory)
    ini = write_ini(tmp_path, url)
    result = run_cli(ini, "detect", "--detector", "monopoly_duopoly", "--json")
    assert result.exit_code == 0, result.output
    assert {f["detector"] for f in json.loads(result.output)} == {"monopoly_duopoly"}
    engine = create_engine(url)
    with engine.connect() as conn:
        detectors = set(conn.execute(sa.select(Flag.detector)).scalars())
    engine.dispose()
    assert detectors == {"monopoly_duopoly"}


def _open_flags(output: str) -> int:
    (line,) = [line for line in output.splitlines() if line.endswith(" open flags.")]
    return int(line.split()[0])


def test_detect_counts_the_flags_it_would_list(tmp_path: Path, database_factory: Any) -> None:
    """The summary's count of open flags is the number --json lists: open and acknowledged
    flags, not dismissed ones, and only the detector's own with --detector."""
    url = _database(database_factory)
    ini = write_ini(tmp_path, url)
    every = json.loads(run_cli(ini, "detect", "--json").output)
    concentration = [f for f in every if f["detector"] == "market_concentration"]
    assert len(every) > len(concentration) > 0
    engine = create_engine(url)
    with Session(engine) as db:
        auditor = DatabaseUserService(db).create_user(
            "auditor@example.org", TEST_PASSWORD, "auditor"
        )
        first, second = (db.get(Flag, f["id"]) for f in concentration[:1] + every[-1:])
        assert first is not None and second is not None and first.id != second.id
        change_status(db, first, FlagStatus.acknowledged, actor=auditor, reason="Looking")
        change_status(db, second, FlagStatus.dismissed, actor=auditor, reason="Exempt")
        db.commit()
    engine.dispose()

    listed = json.loads(run_cli(ini, "detect", "--json").output)
    assert len(listed) == len(every) - 1  # the acknowledged flag listed, the dismissed not
    assert _open_flags(run_cli(ini, "detect").output) == len(listed)
    one = run_cli(ini, "detect", "--detector", "market_concentration")
    assert _open_flags(one.output) == len(concentration)


def test_an_unknown_detector_is_refused(tmp_path: Path, database_url: str) -> None:
    result = run_cli(write_ini(tmp_path, database_url), "detect", "--detector", "nope")
    assert result.exit_code == 2
    assert "Invalid value for '--detector'" in result.output
