"""Issuing, checking and revoking API tokens. Tokens are random (256 bits), so a plain SHA-256
hash is enough to store them safely (as GitHub does); the plain token is shown once."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.api.models import ApiToken
from registry.audit.services import record_event, snapshot_of
from registry.db import utcnow

PREFIX = "sar_"
SUBJECT = "api_token"


class TokenError(ValueError):
    """A token cannot be issued or revoked as asked; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_snapshot = snapshot_of("name", "prefix", "user_id", "expires_at", "revoked_at")


def issue_token(
    db: Session,
    *,
    user: User,
    name: str,
    actor: Any,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token acting as `user`; returns the record and the plain token (shown once)."""
    name = name.strip()
    if not name:
        raise TokenError("Enter what the token is for (name)")
    if len(name) > 200:
        raise TokenError("The token's name must be 200 characters or fewer")
    if not user.is_active:
        raise TokenError(f"{user.email} is not an active user")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=plain[:12],
        token_hash=hash_token(plain),
        user_id=user.id,
        created_by_id=getattr(actor, "id", None),
        expires_at=expires_at,
    )
    db.add(token)
    db.flush()
    record_event(
        db,
        action="api_token.issued",
        subject_type=SUBJECT,
        subject_id=token.id,
        actor=actor,
        after=_snapshot(token),
    )
    return token, plain


def revoke_token(db: Session, token: ApiToken, *, reason: str, actor: Any) -> None:
    reason = reason.strip()
    if not reason:
        raise TokenError("Enter why the token is revoked (reason)")
    if token.is_revoked:
        raise TokenError(f"Token {token.prefix}… was already revoked")
    before = _snapshot(token)
    token.revoked_at = utcnow()
    token.revoked_by_id = getattr(actor, "id", None)
    token.revocation_reason = reason
    db.flush()
    record_event(
        db,
        action="api_token.revoked",
        subject_type=SUBJECT,
        subject_id=token.id,
        actor=actor,
        before=before,
        after=_snapshot(token),
        reason=reason,
    )


def find_token(db: Session, plain: str) -> ApiToken | None:
    """The live token with this value: not revoked, not expired, its user still active."""
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = db.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(plain))
    ).scalar_one_or_none()
    if token is None or token.is_revoked or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    return token


def list_tokens(db: Session) -> list[ApiToken]:
    return list(db.execute(sa.select(ApiToken).order_by(ApiToken.id)).scalars())
