"""Alembic environment: the registry's metadata, batch mode on SQLite, one transaction per migration."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from registry.db import create_engine
from registry.models import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    # Migrations run before data_version exists: they do not move it (registry.changes.version).
    connection.execution_options(registry_untracked=True)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        # SQLite cannot ALTER most things: Alembic copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `registry init`")
run_migrations()
