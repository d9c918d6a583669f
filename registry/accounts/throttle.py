"""Sign-in throttling, per client and per account, counted in the database (app servers keep
no state).

Until issue 20 five wrong passwords for one e-mail locked that account for 15 minutes, from
anywhere: anyone who knew an auditor's address could keep them out. Now failures are counted
in `sign_in_failures` by client (the remote address) and by account, over `WINDOW`:

- one client and one account: after `PER_CLIENT_ACCOUNT` failures that client may not try that
  account again until the window passes (someone guessing one password, or a mistyping user);
- one client, any accounts: after `PER_CLIENT` failures that client may not sign in at all
  (one address guessing across many accounts);
- one account, many clients: the account is refused to everyone only when failures for it came
  from at least `ACCOUNT_CLIENTS` different clients (a distributed guess at one password).

We chose this rather than a progressive delay: a delay either holds one of the server's few
threads while it sleeps (so strangers could tie them all up) or is a short lock that a stranger
can renew for the real user. Counting per client means a stranger's wrong passwords stop only
the stranger; the real user, from their own address, signs in. Locking the account itself
needs failures from many addresses, which the audit trail then shows.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import SignInFailure
from registry.db import utcnow

WINDOW = datetime.timedelta(minutes=15)
PER_CLIENT_ACCOUNT = 5
PER_CLIENT = 20
ACCOUNT_CLIENTS = 10
UNKNOWN_CLIENT = "unknown"

CLIENT_ACCOUNT_REFUSED = (
    "Too many failed sign-in attempts for this e-mail address from your connection. "
    "Wait 15 minutes and try again."
)
CLIENT_REFUSED = (
    "Too many failed sign-in attempts from your connection. Wait 15 minutes and try again."
)
ACCOUNT_REFUSED = (
    "Too many failed sign-in attempts for this e-mail address from many places. "
    "Wait 15 minutes and try again, or ask an admin to check the account."
)


def client_key(remote_addr: str | None) -> str:
    return (remote_addr or UNKNOWN_CLIENT)[:64]


def account_key(email: str) -> str:
    return email.strip().lower()[:200]


def refusal(db: Session, email: str, remote_addr: str | None) -> str | None:
    """Why this client may not try to sign in to this account now, or None. One query, on the
    (email, created) and (client, created) indexes."""
    email, client = account_key(email), client_key(remote_addr)
    mine = SignInFailure.client == client
    theirs = SignInFailure.email == email
    pair, from_client, clients = db.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(mine, theirs), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((mine, 1), else_=0)), 0),
            sa.func.count(sa.distinct(sa.case((theirs, SignInFailure.client), else_=None))),
        ).where(SignInFailure.created >= utcnow() - WINDOW, sa.or_(mine, theirs))
    ).one()
    if pair >= PER_CLIENT_ACCOUNT:
        return CLIENT_ACCOUNT_REFUSED
    if from_client >= PER_CLIENT:
        return CLIENT_REFUSED
    if clients >= ACCOUNT_CLIENTS:
        return ACCOUNT_REFUSED
    return None


def record_failure(db: Session, email: str, remote_addr: str | None) -> None:
    now = utcnow()
    # Counts only look back one window: older rows are dropped as new ones come.
    db.execute(
        sa.delete(SignInFailure)
        .where(SignInFailure.created < now - WINDOW)
        .execution_options(synchronize_session=False)
    )
    db.add(SignInFailure(created=now, email=account_key(email), client=client_key(remote_addr)))
    db.flush()
