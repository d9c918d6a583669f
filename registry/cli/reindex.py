"""registry reindex: commands registered on `registry.cli.main`."""

from __future__ import annotations

import time

import click
from pyramid.exceptions import ConfigurationError

from registry.cli import CLIContext, main, pass_context
from registry.search.documents import all_documents
from registry.search.services import make_backend


@main.command()
@pass_context
def reindex(cli: CLIContext) -> None:
    """Rebuild the search index from the database (safe to run while the app serves)."""

    started = time.perf_counter()
    with cli.session() as db:
        try:
            backend = make_backend(cli.settings, db)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc
        count = backend.rebuild(all_documents(db))
    elapsed = time.perf_counter() - started
    click.echo(f"Indexed {count:,} records with the {backend.name} backend in {elapsed:.1f}s.")
