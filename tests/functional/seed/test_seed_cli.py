"""`registry seed [--if-empty]` as a user runs it, on fresh databases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from registry.audit.models import AuditEvent
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.frameworks.models import Framework
from registry.seed import SEED_DIR
from tests.common.cli import run_cli, write_ini


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                model.__tablename__: conn.scalar(sa.select(sa.func.count()).select_from(model)) or 0
                for model in (Framework, Buyer, Contract, AuditEvent)
            }
    finally:
        engine.dispose()


def test_seed_if_empty_loads_once_and_then_does_nothing(
    database_factory: Any, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)

    first = run_cli(ini, "seed", "--if-empty")
    assert first.exit_code == 0, first.output
    assert "Seeded: 6 frameworks" in first.output
    assert "7,526 gp practices" in first.output
    seeded = _counts(url)
    assert seeded["frameworks"] == 6
    assert seeded["buyers"] == 7526 + 30  # 11, and 19 trusts added by issue 10

    again = run_cli(ini, "seed", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "already holds frameworks: nothing seeded" in again.output
    assert _counts(url) == seeded

    forced = run_cli(ini, "seed")
    assert forced.exit_code == 1
    assert "The seed data is already loaded" in forced.output
    assert "nothing was written" in forced.output
    assert _counts(url) == seeded

    verify = run_cli(ini, "audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_broken_seed_data_writes_nothing(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    data = Path(shutil.copytree(SEED_DIR, tmp_path / "seed_data"))
    path = data / "frameworks" / "gpsoc.json"
    framework = json.loads(path.read_text())
    framework["lots"][0]["memberships"][2]["supplier"] = "vision"
    path.write_text(json.dumps(framework))

    result = run_cli(ini, "seed", "--if-empty", "--data-dir", str(data))
    assert result.exit_code == 1
    assert (
        "seed_data/frameworks/gpsoc.json: $.lots[0].memberships[2].supplier: no supplier 'vision'"
        in result.output
    )
    assert "nothing was written" in result.output
    assert _counts(url) == {"frameworks": 0, "buyers": 0, "contracts": 0, "audit_events": 0}


def test_seed_leaves_the_planner_statistics_of_what_it_loaded(seeded_engine: Any) -> None:
    """The next `registry detect` plans for 7,570 contracts, not for the empty tables the seed
    started from (on the seed, three times faster on PostgreSQL)."""
    with seeded_engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            columns = conn.scalar(
                sa.text("SELECT count(*) FROM pg_stats WHERE tablename = 'contracts'")
            )
            assert columns
            estimated = conn.scalar(
                sa.text("SELECT reltuples FROM pg_class WHERE relname = 'contracts'")
            )
            assert estimated == conn.scalar(sa.select(sa.func.count()).select_from(Contract))
        else:
            stats = conn.execute(sa.text("SELECT tbl FROM sqlite_stat1")).scalars().all()
            assert "contracts" in stats
