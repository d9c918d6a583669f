from __future__ import annotations

import click

from registry.cli import CLIContext, main, pass_context


@main.command()
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the registry already holds frameworks."
)
@pass_context
def seed(cli: CLIContext, if_empty: bool) -> None:
    """Load seed_data/, validated against schemas/, through the services."""
    from registry.seed import load_seed_data, registry_is_empty

    with cli.session() as db:
        if if_empty and not registry_is_empty(db):
            click.echo("The registry already holds data: nothing seeded.")
            return
        summary = load_seed_data(db)
    click.echo("Seeded: " + ", ".join(f"{n} {kind}" for kind, n in summary.items()) + ".")
