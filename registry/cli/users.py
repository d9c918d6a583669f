from __future__ import annotations

import sys

import click
from sqlalchemy.orm import Session

from registry.accounts.organisations import find_organisation
from registry.accounts.services import AccountError, DatabaseUserService, sign_in_email
from registry.authnz import Role
from registry.cli import CLIContext, main, pass_context


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.option("--email", required=True, help="The user's e-mail address (their sign-in name).")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="What the user may do.",
)
@click.option("--name", default="", help="The user's full name.")
@click.option(
    "--organisation",
    default=None,
    help="For officers the buyer they work for, for suppliers the supplier they speak for "
    "(the record's id, or its identifier such as an ODS code or Companies House number).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def user_add(
    cli: CLIContext,
    email: str,
    role: str,
    name: str,
    organisation: str | None,
    password_stdin: bool,
) -> None:
    """Add a user. Prompts for the password unless --password-stdin is given."""
    try:  # before the password is asked for: the address is checked as sign-in checks it
        sign_in_email(email)
    except AccountError as exc:
        raise click.ClickException(f"--email: {exc}") from None
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with cli.session() as db:
        service = DatabaseUserService(db)
        try:
            organisation_ids = resolve_organisation(db, role, organisation)
            created = service.create_user(email, password, role, name=name, **organisation_ids)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Added {created.email} as {created.role} (user {created.id}).")


def resolve_organisation(db: Session, role: str, organisation: str | None) -> dict[str, int]:
    """Officers belong to a buyer, supplier users to a supplier; other roles to neither."""
    if organisation is None:
        if role in (Role.officer, Role.supplier):
            raise AccountError(f"A {role} needs --organisation")
        return {}
    return find_organisation(db, role, organisation)
