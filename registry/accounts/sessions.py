"""Signed-in sessions kept in the database, so they can be ended (issue 20).

The session cookie (`registry.sessions`) carries a random token and the CSRF token, nothing
about the user; the `user_sessions` row found by the token's SHA-256 says whose session it is,
until when, and whether it has been ended. Each request costs one primary-key lookup (joined to
the user); `last_seen` and the idle expiry are written at most every `TOUCH_EVERY`.

Signing out, a password change, deactivation, reactivation and a role change end every session
of the user at once (`end_sessions`): a copy of an old cookie is then anonymous. Anonymous
visitors get no row.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import User, UserSession
from registry.db import utcnow

IDLE_TIMEOUT = datetime.timedelta(hours=8)
ABSOLUTE_TIMEOUT = datetime.timedelta(hours=24)
TOUCH_EVERY = datetime.timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _expiry(created: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    return min(now + IDLE_TIMEOUT, created + ABSOLUTE_TIMEOUT)


def start_session(db: Session, user: User) -> str:
    """A new session for the user; returns the token for the cookie (never stored)."""
    now = utcnow()
    # Sessions this user can no longer use are forgotten when they next sign in.
    db.execute(
        sa.delete(UserSession)
        .where(
            UserSession.user_id == user.id,
            sa.or_(UserSession.revoked_at.is_not(None), UserSession.expires <= now),
        )
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            id=token_hash(token),
            user_id=user.id,
            created=now,
            last_seen=now,
            expires=_expiry(now, now),
        )
    )
    db.flush()
    return token


def session_user(db: Session, token: str) -> User | None:
    """The active user whose live session this token opens, or None."""
    now = utcnow()
    row = db.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.id == token_hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires > now,
            User.is_active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    session, user = row
    if now - session.last_seen >= TOUCH_EVERY:
        _touch(db, session, now)
    return user


def _touch(db: Session, session: UserSession, now: datetime.datetime) -> None:
    """Best effort: on SQLite a GET's transaction began deferred, and upgrading it to write fails
    at once if another writer committed meanwhile; the next request then tries again."""
    try:
        with db.begin_nested():
            db.execute(
                sa.update(UserSession)
                .where(UserSession.id == session.id)
                .values(last_seen=now, expires=_expiry(session.created, now))
                .execution_options(synchronize_session=False)
            )
    except sa.exc.OperationalError:
        return


def end_sessions(db: Session, user_id: int) -> int:
    """End every live session of the user; returns how many were ended."""
    result = db.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
