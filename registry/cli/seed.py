from __future__ import annotations

from pathlib import Path

import click

from registry.cli import CLIContext, main, pass_context
from registry.db import refresh_statistics
from registry.seed import SeedDataError, load_seed_data, registry_is_empty


@main.command()
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the registry already holds frameworks."
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Load seed data from this directory instead of the project's seed_data/.",
)
@pass_context
def seed(cli: CLIContext, if_empty: bool, data_dir: Path | None) -> None:
    """Load seed_data/, validated against schemas/, in one transaction.

    Every file is checked against its JSON Schema and the files against each other before
    anything is written. Loading into a registry that already holds the seeded records writes
    nothing and exits 1: use --if-empty to skip quietly.
    """
    try:
        with cli.session() as db:
            if if_empty and not registry_is_empty(db):
                click.echo("The registry already holds frameworks: nothing seeded.")
                return
            summary = load_seed_data(db, data_dir)
    except SeedDataError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"seed data not loaded ({len(exc.problems)} problem(s)); nothing was written"
        ) from exc
    refresh_statistics(cli.engine)
    counts = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in summary.items())
    click.echo(f"Seeded: {counts}.")
