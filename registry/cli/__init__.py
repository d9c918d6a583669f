"""The `registry` command: init, seed, import, score, detect, export, users and the audit trail."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from pyramid.exceptions import ConfigurationError
from pyramid.paster import get_appsettings
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.cli.errors import RegistryGroup, check_database
from registry.config import normalise_settings
from registry.db import create_engine
from registry.search.services import attach


@dataclasses.dataclass
class CLIContext:
    config_path: str
    _settings: dict[str, Any] | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            path = Path(self.config_path)
            if not path.exists():
                raise click.UsageError(f"no configuration file at {path}")
            try:
                self._settings = normalise_settings(dict(get_appsettings(str(path.resolve()))))
            except ConfigurationError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings

    @property
    def url(self) -> str:
        return str(self.settings["sqlalchemy.url"])

    @property
    def engine(self) -> Engine:
        """The database, checked when first opened: there, reachable, and at the latest
        migration (`registry init` opens it through `upgrade_to_head` instead)."""
        if self._engine is None:
            engine = create_engine(self.url)
            try:
                check_database(engine, self.url)
            except BaseException:  # refused, or any other failure: no pooled connection left open
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with Session(self.engine) as db, db.begin():
            # Search (issue 7): what the command commits is indexed after the commit.
            attach(db, self.settings)
            yield db


pass_context = click.make_pass_decorator(CLIContext)


@click.group(cls=RegistryGroup)
@click.option(
    "--config",
    "config_path",
    default="development.ini",
    show_default=True,
    envvar="REGISTRY_CONFIG",
    help="The ini file with the app's settings.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str) -> None:
    """Supplier Accountability Registry."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = CLIContext(config_path)
    ctx.call_on_close(ctx.obj.close)


# The commands register themselves on `main`.
from registry.cli import (  # noqa: E402, F401
    audit,
    database,
    detect,
    export,
    import_csv,
    import_ocds,
    imports,
    reindex,
    score,
    seed,
    tokens,
    users,
)
