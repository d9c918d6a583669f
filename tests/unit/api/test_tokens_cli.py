"""`registry token issue|list|revoke` against a fresh database, as an admin would run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.api.models import ApiToken
from registry.api.tokens import PREFIX, find_token, hash_token
from registry.audit.models import AuditEvent
from registry.db import create_engine
from tests.common.cli import run_cli, write_ini


def test_issue_list_and_revoke(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    engine = create_engine(url)
    try:
        with Session(engine) as db, db.begin():
            DatabaseUserService(db).create_user(
                "admin@example.org", "long enough password", "admin"
            )

        missing = run_cli(ini, "token", "issue", "--email", "nobody@example.org", "--name", "x")
        assert missing.exit_code == 1 and "--email" in missing.output

        issued = run_cli(ini, "token", "issue", "--email", "admin@example.org", "--name", "Sync")
        assert issued.exit_code == 0, issued.output
        plain = issued.output.strip().splitlines()[-1]
        assert plain.startswith(PREFIX)

        with Session(engine) as db:
            record = db.execute(sa.select(ApiToken)).scalar_one()
            assert record.token_hash == hash_token(plain)  # only the hash is kept
            assert find_token(db, plain) is not None
            token_id = record.id

        listed = run_cli(ini, "token", "list")
        assert "Sync" in listed.output and "live" in listed.output and plain not in listed.output

        no_reason = run_cli(ini, "token", "revoke", str(token_id), "--reason", " ")
        assert no_reason.exit_code == 1 and "reason" in no_reason.output
        revoked = run_cli(ini, "token", "revoke", str(token_id), "--reason", "Leaked in a log")
        assert revoked.exit_code == 0, revoked.output
        again = run_cli(ini, "token", "revoke", str(token_id), "--reason", "Twice")
        assert again.exit_code == 1 and "already revoked" in again.output

        with Session(engine) as db:
            assert find_token(db, plain) is None
            actions = db.execute(
                sa.select(AuditEvent.action)
                .where(AuditEvent.subject_type == "api_token")
                .order_by(AuditEvent.seq)
            ).scalars()
            assert list(actions) == ["api_token.issued", "api_token.revoked"]
        assert "revoked" in run_cli(ini, "token", "list").output
    finally:
        engine.dispose()
