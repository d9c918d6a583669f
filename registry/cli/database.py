from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from registry.cli import CLIContext, main, pass_context
from registry.migrate import upgrade_to_head
from registry.search.documents import all_documents
from registry.search.services import make_backend


@main.command()
@pass_context
def init(cli: CLIContext) -> None:
    """Create or migrate the database to the latest version, and create the search index."""
    url = make_url(cli.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(cli.url)
    click.echo(f"Database at {url.render_as_string(hide_password=True)} is at the latest version.")
    _create_search_index(cli)


def _create_search_index(cli: CLIContext) -> None:
    """Search (issue 7): an index that is missing or unreadable is built from the database."""

    with cli.session() as db:
        backend = make_backend(cli.settings, db)
        # An index built by an older version (other fields) is rebuilt, not written into.
        if backend.check() is None and not backend.outdated():
            backend.create()
            click.echo(f"The {backend.name} search index is ready.")
        else:
            count = backend.rebuild(all_documents(db))
            click.echo(f"Built the {backend.name} search index: {count:,} records.")
