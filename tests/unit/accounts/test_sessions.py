"""Database sessions and sign-in throttling, below the web layer (issue 20)."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts import throttle
from registry.accounts.models import SignInFailure, User, UserSession
from registry.accounts.services import DatabaseUserService
from registry.accounts.sessions import end_sessions, session_user, start_session, token_hash
from registry.db import utcnow
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def users(db_session: Session) -> tuple[User, User]:
    service = DatabaseUserService(db_session)
    return (
        service.create_user("first@example.org", TEST_PASSWORD, "auditor"),
        service.create_user("second@example.org", TEST_PASSWORD, "auditor"),
    )


def test_a_token_opens_its_users_session_and_only_its_hash_is_stored(
    db_session: Session, users: tuple[User, User]
) -> None:
    first, _ = users
    token = start_session(db_session, first)
    assert session_user(db_session, token) is first
    assert session_user(db_session, token + "x") is None
    stored = db_session.execute(sa.select(UserSession.id)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored


def test_ending_a_users_sessions_leaves_other_users_signed_in(
    db_session: Session, users: tuple[User, User]
) -> None:
    first, second = users
    tokens = [start_session(db_session, first), start_session(db_session, first)]
    theirs = start_session(db_session, second)
    assert end_sessions(db_session, first.id) == 2
    assert [session_user(db_session, t) for t in tokens] == [None, None]
    assert session_user(db_session, theirs) is second
    assert end_sessions(db_session, first.id) == 0  # already ended


def test_signing_in_again_forgets_the_users_ended_sessions(
    db_session: Session, users: tuple[User, User]
) -> None:
    first, _ = users
    start_session(db_session, first)
    end_sessions(db_session, first.id)
    start_session(db_session, first)
    rows = db_session.execute(sa.select(UserSession).where(UserSession.user_id == first.id))
    assert [row.revoked_at for row in rows.scalars()] == [None]


def test_a_deactivated_users_session_opens_nothing(
    db_session: Session, users: tuple[User, User]
) -> None:
    first, _ = users
    token = start_session(db_session, first)
    first.is_active = False
    db_session.flush()
    assert session_user(db_session, token) is None


def test_throttle_counts_per_client_and_per_account(db_session: Session) -> None:
    email = "auditor@example.org"
    for _ in range(throttle.PER_CLIENT_ACCOUNT - 1):
        throttle.record_failure(db_session, email, "203.0.113.5")
    assert throttle.refusal(db_session, email, "203.0.113.5") is None
    throttle.record_failure(db_session, email, "203.0.113.5")
    assert throttle.refusal(db_session, email, "203.0.113.5") == throttle.CLIENT_ACCOUNT_REFUSED
    assert throttle.refusal(db_session, email, "198.51.100.7") is None
    assert throttle.refusal(db_session, "other@example.org", "203.0.113.5") is None


def test_failures_older_than_the_window_are_not_counted_and_are_dropped(
    db_session: Session,
) -> None:
    email = "auditor@example.org"
    long_ago = utcnow() - throttle.WINDOW - datetime.timedelta(minutes=1)
    db_session.add_all(
        SignInFailure(created=long_ago, email=email, client="203.0.113.5")
        for _ in range(throttle.PER_CLIENT)
    )
    db_session.flush()
    assert throttle.refusal(db_session, email, "203.0.113.5") is None
    throttle.record_failure(db_session, email, "203.0.113.5")
    count = db_session.execute(sa.select(sa.func.count()).select_from(SignInFailure))
    assert count.scalar_one() == 1
