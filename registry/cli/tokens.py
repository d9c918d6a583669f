"""registry token (API tokens): commands registered on `registry.cli.main`."""

from __future__ import annotations

import datetime

import click
import sqlalchemy as sa

from registry.accounts.models import User
from registry.api.models import ApiToken
from registry.api.tokens import TokenError, issue_token, list_tokens, revoke_token
from registry.cli import CLIContext, main, pass_context
from registry.db import utcnow
from registry.integers import MAX_ID


@main.group()
def token() -> None:
    """Issue, list and revoke API tokens (the API acts as the token's user)."""


@token.command("issue")
@click.option("--email", required=True, help="The user the token acts as (an officer or admin).")
@click.option("--name", required=True, help="What the token is for, e.g. 'Trust X finance system'.")
@click.option(
    "--expires-days", type=click.IntRange(1, 3660), default=None, help="Expire after N days."
)
@pass_context
def token_issue(cli: CLIContext, email: str, name: str, expires_days: int | None) -> None:
    """Issue a token. It is printed once and never stored: keep it safe."""

    with cli.session() as db:
        user = db.execute(
            sa.select(User).where(User.email == email.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"--email: there is no user {email}")
        expires = utcnow() + datetime.timedelta(days=expires_days) if expires_days else None
        try:
            record, plain = issue_token(db, user=user, name=name, actor=None, expires_at=expires)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Issued token {record.id} ({record.prefix}…) for {user.email}:")
        click.echo(plain)


@token.command("list")
@pass_context
def token_list(cli: CLIContext) -> None:
    """List tokens: id, prefix, user, state."""
    with cli.session() as db:
        for record in list_tokens(db):
            state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "live"
            used = (
                f"last used {record.last_used_at:%Y-%m-%d}" if record.last_used_at else "never used"
            )
            click.echo(
                f"{record.id}\t{record.prefix}…\t{record.user.email}\t{record.name}\t{state}\t{used}"
            )


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, MAX_ID))  # an id: an INTEGER column
@click.option("--reason", required=True, help="Why the token is revoked (kept in the audit trail).")
@pass_context
def token_revoke(cli: CLIContext, token_id: int, reason: str) -> None:
    """Revoke a token by its id; it stops working at once."""

    with cli.session() as db:
        record = db.get(ApiToken, token_id)
        if record is None:
            raise click.ClickException(f"TOKEN_ID: there is no token {token_id}")
        try:
            revoke_token(db, record, reason=reason, actor=None)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Revoked token {record.id} ({record.prefix}…).")
