from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from registry.cli import CLIContext, main, pass_context
from registry.migrate import upgrade_to_head


@main.command()
@pass_context
def init(cli: CLIContext) -> None:
    """Create or migrate the database to the latest version, and create the search index."""
    url = make_url(cli.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(cli.url)
    click.echo(f"Database at {url.render_as_string(hide_password=True)} is at the latest version.")
