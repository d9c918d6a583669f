from __future__ import annotations

import click

from registry.audit.services import verify_chain
from registry.cli import CLIContext, main, pass_context


@main.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
@pass_context
def audit_verify(cli: CLIContext) -> None:
    """Exit 0 when the chain is intact; exit 1 naming the first bad event."""
    with cli.session() as db:
        report = verify_chain(db)
    if report.problem is not None:
        click.echo(f"The audit trail is broken: {report.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"The audit trail is intact: {report.events} events verified.")
