"""Upgrading a database that already holds data, from the first revision to head, keeps the data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from registry.db import create_engine
from registry.migrate import alembic_config, upgrade_to_head


def test_upgrade_from_the_first_revision_keeps_users_and_audit_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, name, password_hash, role, is_active, created) "
                "VALUES ('old@example.org', 'Old', 'x', 'auditor', 1, '2026-01-01 00:00:00')"
            )
        )
    upgrade_to_head(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT email, role, buyer_id FROM users")).one()
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert tuple(row) == ("old@example.org", "auditor", None)
    assert {"frameworks", "contracts", "suppliers", "buyers"} <= tables
