"""A Pyramid 2 security policy: a database session record says who is signed in, ACLs say what
they may do.

The cookie session holds only a random token under `SESSION_TOKEN` (and the CSRF token);
`registry.accounts.sessions` finds its `user_sessions` row. The identity is worked out once per
request (`RequestLocalCache`).
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ACLHelper, Everyone
from pyramid.request import Request, RequestLocalCache

from registry.accounts.sessions import end_sessions, session_user, start_session

SESSION_TOKEN = "registry.session_token"  # noqa: S105 (the session key's name, not a secret)


def _identity(request: Request) -> Any:
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    user = session_user(request.db, token)
    if user is None:
        # Ended or expired: drop the token so the cookie stops naming a dead session.
        request.session.pop(SESSION_TOKEN, None)
    return user


_identity_cache = RequestLocalCache(_identity)


def known_identity(request: Request) -> Any:
    """The request's user if it has been worked out already, else None, without a query: for
    code that runs after the transaction (the response headers)."""
    return _identity_cache.get(request, None)


class RegistrySecurityPolicy:
    def __init__(self) -> None:
        self.acl = ACLHelper()

    def identity(self, request: Request) -> Any:
        if request.environ.get("registry.database_unavailable"):
            return None  # the 503 page is drawn as for a visitor: the user cannot be loaded
        return _identity_cache.get_or_create(request)

    def authenticated_userid(self, request: Request) -> str | None:
        user = request.identity
        return None if user is None else str(user.id)

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        user = request.identity
        principals = [Everyone] if user is None else user.principals()
        return self.acl.permits(context, principals, permission)

    def remember(self, request: Request, userid: Any, **kw: Any) -> list[tuple[str, str]]:
        """Start a session for the user (a `User`, not an id); the cookie carries its token."""
        request.session[SESSION_TOKEN] = start_session(request.db, userid)
        _identity_cache.set(request, userid)
        return []

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        """Sign out: end every session of the user, here and on their other devices."""
        user = request.identity
        if user is not None:
            end_sessions(request.db, user.id)
        request.session.pop(SESSION_TOKEN, None)
        _identity_cache.set(request, None)
        return []
