from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.db import create_engine
from tests.common.cli import run_cli, write_ini
from tests.conftest import TEST_PASSWORD, DatabaseFactory


def test_audit_verify_exits_0_then_1_naming_the_tampered_event(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    for n in range(3):
        result = run_cli(
            ini,
            "user",
            "add",
            "--email",
            f"a{n}@example.org",
            "--role",
            "auditor",
            "--password-stdin",
            input=TEST_PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output

    intact = run_cli(ini, "audit", "verify")
    assert intact.exit_code == 0
    assert "intact: 3 events" in intact.output

    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        db.execute(
            sa.update(AuditEvent).where(AuditEvent.seq == 2).values(actor_label="someone else")
        )
    engine.dispose()
    broken = run_cli(ini, "audit", "verify")
    assert broken.exit_code == 1
    assert "audit event 2" in broken.output


def test_user_add_refuses_bad_input_and_writes_nothing(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    short = run_cli(
        ini,
        "user",
        "add",
        "--email",
        "a@example.org",
        "--role",
        "admin",
        "--password-stdin",
        input="short\n",
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    bad_role = run_cli(
        ini,
        "user",
        "add",
        "--email",
        "a@example.org",
        "--role",
        "emperor",
        "--password-stdin",
        input=TEST_PASSWORD + "\n",
    )
    assert bad_role.exit_code != 0
    assert "emperor" in bad_role.output
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one() == 0
    engine.dispose()
