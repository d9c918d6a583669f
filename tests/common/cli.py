"""Run the real `registry` command against a database, as a user would."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from registry.cli import main


def write_ini(directory: Path, database_url: str) -> Path:
    path = directory / "test.ini"
    path.write_text(
        "[app:main]\n"
        "use = egg:supplier-accountability-registry\n"
        "registry.environment = development\n"
        f"sqlalchemy.url = {database_url.replace('%', '%%')}\n"
        f"registry.var_dir = {directory}\n"
        f"registry.index_dir = {directory / 'index'}\n"
    )
    return path


def run_cli(ini: Path, *args: str, input: str | None = None) -> Result:
    # The ini names the test's own database: the environment must not redirect it.
    env = {"REGISTRY_DATABASE_URL": None, "REGISTRY_INDEX_DIR": None}
    return CliRunner().invoke(
        main, ["--config", str(ini), *args], input=input, env=env, catch_exceptions=False
    )
