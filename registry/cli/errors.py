"""What every `registry` command answers when its database is missing, unreachable, empty or at an
older migration: one line naming the fix and exit status 1, never a Python traceback.

It is done once, where a command first opens the database (`CLIContext.engine` calls
`check_database`) and around every command (`RegistryGroup`), so a new command needs nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine, make_url

from registry.migrate import alembic_config

INIT = "run `registry init`"


def shown(url: str) -> str:
    """The database's address as a message shows it: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def unreachable(url: str, error: BaseException) -> click.ClickException:
    """The one line for a database the command could not open or lost on the way."""
    reason = _first_line(error)
    if "does not exist" in reason and make_url(url).get_backend_name() == "postgresql":
        fix = f"create it (createdb {make_url(url).database}), then {INIT}"
    else:
        fix = "check the address in sqlalchemy.url (or REGISTRY_DATABASE_URL) and that the server is running"
    return click.ClickException(
        f"Cannot reach the database at {shown(url)}: {reason}. To fix: {fix}."
    )


def missing_sqlite_file(url: str) -> Path | None:
    """A SQLite database file that does not exist (connecting would create an empty one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(str(parsed.database))
    return None if path.exists() else path


def check_database(engine: Engine, url: str) -> None:
    """Refuse, with the fix, a database that is not there, has no registry tables, or is at an
    older (or unknown) migration than this version of the registry."""
    path = missing_sqlite_file(url)
    if path is not None:
        raise click.ClickException(f"There is no database at {path}: {INIT} to create it.")
    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.DBAPIError as exc:
        raise unreachable(url, exc) from None
    if not current:
        raise click.ClickException(
            f"The database at {shown(url)} has no registry tables yet: {INIT}."
        )
    unknown = sorted(rev for rev in current if rev not in _known(script))
    if unknown:
        raise click.ClickException(
            f"The database at {shown(url)} is at migration {', '.join(unknown)}, newer than "
            "this version of the registry knows: use the version that made it."
        )
    if current != heads:
        raise click.ClickException(
            f"The database at {shown(url)} is at migration {', '.join(sorted(current))}, "
            f"not {', '.join(sorted(heads))} as this version needs: {INIT} (it upgrades)."
        )


def _known(script: ScriptDirectory) -> set[str]:
    return {revision.revision for revision in script.walk_revisions()}


class RegistryGroup(click.Group):
    """The `registry` group: a database error a command meets on the way (the server gone, a
    table missing) ends it with one line, not a traceback. Any other error is a bug, and shows."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.ProgrammingError) as exc:
            refusal = database_error(ctx, exc)
            if refusal is None:
                raise
            raise refusal from None
        except CommandError as exc:  # Alembic's: a revision it cannot find or reach
            raise click.ClickException(
                f"The database cannot be migrated: {exc}. A database made by a newer version of "
                "the registry needs that version."
            ) from None


_MISSING_TABLE = ("no such table", "no such column", "UndefinedTable", "UndefinedColumn")


def database_error(ctx: click.Context, error: sa.exc.DBAPIError) -> click.ClickException | None:
    """The one line for a database error: a table or column missing (an older schema), or the
    database unreachable; None for SQL the database refused (a bug, not the user's to fix)."""
    reason = _first_line(error)
    missing = any(word in reason or word in type(error.orig).__name__ for word in _MISSING_TABLE)
    if isinstance(error, sa.exc.ProgrammingError) and not missing:
        return None
    try:
        url = str(ctx.obj.url)
    except (AttributeError, click.ClickException):
        return click.ClickException(f"The database could not be used: {reason}.")
    if missing:
        return click.ClickException(
            f"The database at {shown(url)} is not as this version needs it ({reason}): {INIT}."
        )
    return unreachable(url, error)
