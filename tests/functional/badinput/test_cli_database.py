"""Every `registry` command, run where there is no registry yet (a SQLite file in a missing
directory, an empty database, a PostgreSQL server that is not there or has no such database) or
at an older migration: one line naming the fix, exit status 1, never a traceback.

The commands are found by walking the click group, and their arguments made from their declared
parameters, so a command added later is tried without editing this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from alembic import command
from click.testing import CliRunner

from registry.cli import main
from registry.db import create_engine
from registry.migrate import alembic_config
from tests.common.cli import write_ini

# Where the generic arguments would stop a command before it opens the database: `export ocds`
# needs --out, which `export snapshot` does not.
ARGUMENTS: dict[str, list[str]] = {"export": ["snapshot"]}


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, sub in sorted(group.commands.items()):
        if isinstance(sub, click.Group):
            yield from commands(sub, (*prefix, name))
        else:
            yield (*prefix, name)


def command_of(path: tuple[str, ...]) -> click.Command:
    found: Any = main
    for name in path:
        found = found.commands[name]
    return found


def arguments(path: tuple[str, ...], files: Path) -> list[str]:
    """The least a command needs to reach its database: each required argument and option, from
    its type (the first choice, an existing file, a number, a plain word)."""
    given = ARGUMENTS.get(" ".join(path))
    args: list[str] = list(given) if given else []
    for param in command_of(path).params:
        if not param.required or (given and isinstance(param, click.Argument)):
            continue
        kind = param.type
        if isinstance(kind, click.Choice):
            value = str(kind.choices[0])
        elif isinstance(kind, click.Path):
            value = str(files / "empty.csv")
        elif isinstance(kind, click.types.IntParamType):
            value = "1"
        elif param.name == "email":
            value = "someone@example.org"
        else:
            value = "Checking the database"
        if isinstance(param, click.Option):
            args.append(param.opts[0])
        args.append(value)
    return args


ALL = list(commands())


def test_the_commands_are_found() -> None:
    names = {" ".join(path) for path in ALL}
    assert {"init", "seed", "score", "detect", "export", "reindex", "audit verify"} <= names
    assert {"import csv", "import ocds", "user add", "token issue", "token revoke"} <= names
    assert set(ARGUMENTS) <= names


def run(ini: Path, path: tuple[str, ...], files: Path) -> tuple[int, str]:
    env = {"REGISTRY_DATABASE_URL": None, "REGISTRY_INDEX_DIR": None}
    result = CliRunner().invoke(
        main,
        ["--config", str(ini), *path, *arguments(path, files)],
        input="pigeon lantern oboe drift\n",
        env=env,
    )
    # An exception click did not turn into a message is what a user would see as a traceback.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 99, f"{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.output


def refusals(url: str, directory: Path, fix: str, skip: set[str] = frozenset()) -> list[str]:
    """Each command run against `url`: what is wrong with any answer that is not one line
    naming `fix`, with exit status 1."""
    (directory / "empty.csv").write_text("")
    ini = write_ini(directory, url)
    problems = []
    for path in ALL:
        if " ".join(path) in skip:
            continue
        status, output = run(ini, path, directory)
        lines = [line for line in output.splitlines() if line.strip()]
        if status != 1 or "Traceback" in output or fix not in output or len(lines) != 1:
            problems.append(f"registry {' '.join(path)}: exit {status}: {output[-500:]}")
    return problems


INIT = "run `registry init`"


def test_a_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'registry.db'}"
    # `init` is the fix: it makes the directory and the database.
    assert refusals(url, tmp_path, INIT, skip={"init"}) == []
    assert not (tmp_path / "no").exists()  # nothing was made on the way


def test_a_postgresql_server_that_is_not_there(tmp_path: Path) -> None:
    url = "postgresql+psycopg://registry:secret@127.0.0.1:1/registry"  # port 1: closed
    assert refusals(url, tmp_path, "Cannot reach the database at") == []


def test_a_database_before_registry_init(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.empty()
    assert refusals(url, tmp_path, "has no registry tables yet: " + INIT, skip={"init"}) == []


@pytest.fixture
def postgresql(database_factory: Any) -> Any:
    if database_factory.server is None:
        pytest.skip("needs PostgreSQL (REGISTRY_DATABASE_URL)")
    return database_factory.server


def test_a_postgresql_database_that_does_not_exist(postgresql: Any, tmp_path: Path) -> None:
    url = postgresql.set(database="registry_no_such_database").render_as_string(hide_password=False)
    assert refusals(url, tmp_path, "createdb registry_no_such_database") == []


def test_a_database_at_an_older_migration_is_upgraded_by_init(
    database_factory: Any, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    command.downgrade(alembic_config(url), "-1")
    assert refusals(url, tmp_path, "(it upgrades)", skip={"init"}) == []

    ini = write_ini(tmp_path, url)
    status, output = run(ini, ("init",), tmp_path)
    assert status == 0, output
    status, output = run(ini, ("audit", "verify"), tmp_path)  # at the latest: commands run
    assert (status, output) == (0, "The audit trail is intact: 0 events verified.\n")


def test_a_table_missing_on_the_way_is_named_with_the_fix(
    database_factory: Any, tmp_path: Path
) -> None:
    """At the latest migration, but a table gone (dropped by hand): the command that meets it
    says so in one line, not a traceback."""
    url = database_factory.fresh()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
            connection.exec_driver_sql(f"DROP TABLE audit_events{cascade}")
    finally:
        engine.dispose()
    status, output = run(write_ini(tmp_path, url), ("audit", "verify"), tmp_path)
    assert status == 1, output
    assert "is not as this version needs it" in output and "audit_events" in output
    assert output.endswith(f"{INIT}.\n") and len(output.splitlines()) == 1


def test_a_number_past_any_column_in_any_command_is_a_usage_error(tmp_path: Path) -> None:
    """Every whole-number argument or option of every command, given 10^20: refused as it is
    read (an id past its INTEGER column once overflowed the driver), never a traceback."""
    (tmp_path / "empty.csv").write_text("")
    ini = write_ini(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    tried, problems = [], []
    for path in ALL:
        for param in command_of(path).params:
            if not isinstance(param.type, click.types.IntParamType):
                continue
            args = arguments(path, tmp_path)
            if isinstance(param, click.Option):
                args += [param.opts[0], "1" + "0" * 20]
            else:  # the first argument of its type: the one `arguments` gave "1"
                args[args.index("1")] = "1" + "0" * 20
            result = CliRunner().invoke(main, ["--config", str(ini), *path, *args])
            tried.append(f"{' '.join(path)} {param.name}")
            if result.exit_code != 2 or "not in the range" not in result.output:
                problems.append(f"{tried[-1]}: exit {result.exit_code}: {result.output[-300:]}")
    assert "token revoke token_id" in tried
    assert problems == []


def test_a_database_from_a_newer_registry_is_named(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.fresh()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    finally:
        engine.dispose()
    # `init` too: it cannot migrate what it does not know.
    assert refusals(url, tmp_path, "newer") == []
