"""Signed-cookie sessions and CSRF on every unsafe request."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.request import Request
from pyramid.session import SignedCookieSessionFactory

SESSION_TIMEOUT_SECONDS = 8 * 60 * 60
SESSION_COOKIE = "registry_session"


def pop_flashes(request: Request, queue: str = "") -> list[Any]:
    """The queue's flash messages, taken off it. A session with none is only read, not changed:
    popping marks a session changed, which sends a cookie, and a visitor's page with a cookie
    cannot be cached publicly (issue 21)."""
    session = request.session
    return list(session.pop_flash(queue)) if session.peek_flash(queue) else []


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    secure = settings["registry.environment"] != "development"
    config.set_session_factory(
        SignedCookieSessionFactory(
            settings["session.secret"],
            cookie_name=SESSION_COOKIE,
            httponly=True,
            samesite="Lax",
            secure=secure,
            timeout=SESSION_TIMEOUT_SECONDS,
            reissue_time=SESSION_TIMEOUT_SECONDS // 10,
        )
    )
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every POST, PUT, PATCH and DELETE must carry the token; the token-authenticated JSON API
    # opts out view by view.
    config.set_default_csrf_options(require_csrf=True)
