"""Security headers on every response, and `Cache-Control: private, no-store` on every response to a
signed-in user (issue 20): what a signed-in user sees (drafts, other users' details) is kept out of
shared and browser caches. Scripts come from files only: no inline script, no per-request nonce, so
a public page can be shared through caches (issue 21)."""

from __future__ import annotations

from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from registry.accounts.security_policy import known_identity

Handler = Callable[[Request], Response]
SIGNED_IN_CACHE_CONTROL = "private, no-store"


def security_headers_tween_factory(handler: Handler, registry: Registry) -> Handler:
    production = registry.settings["registry.environment"] != "development"

    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            "script-src 'self'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        # Every view's permission check works out the identity; static files have none to check.
        if known_identity(request) is not None:
            response.headers["Cache-Control"] = SIGNED_IN_CACHE_CONTROL
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    return security_headers_tween


def includeme(config: Configurator) -> None:
    config.add_tween("registry.headers.security_headers_tween_factory")
