"""The app factory: settings from the environment, then one include per feature."""

from __future__ import annotations

import gc
import os
import secrets
from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.router import Router
from pyramid.settings import asbool

from registry import PROJECT_ROOT
from registry.authnz import RootFactory
from registry.templating import configure_environment

ENVIRONMENTS = ("development", "production")


def maybe_set(settings: dict[str, Any], name: str, envvar: str) -> None:
    """Take a setting from the environment when it is there; the ini file otherwise."""
    if envvar in os.environ:
        settings[name] = os.environ[envvar]


def _session_secret(settings: dict[str, Any]) -> str:
    secret = settings.get("session.secret")
    if secret:
        return str(secret)
    if settings["registry.environment"] != "development":
        raise ConfigurationError(
            "session.secret is not set: set REGISTRY_SESSION_SECRET (production never makes one up)"
        )
    # Development only: keep a random secret beside the database, never in the repository.
    path = Path(settings.get("registry.var_dir", PROJECT_ROOT / "var")) / "session-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    settings = dict(settings or {})
    maybe_set(settings, "sqlalchemy.url", "REGISTRY_DATABASE_URL")
    maybe_set(settings, "sqlalchemy.url.read", "REGISTRY_DATABASE_URL_READ")
    maybe_set(settings, "registry.index_dir", "REGISTRY_INDEX_DIR")
    maybe_set(settings, "session.secret", "REGISTRY_SESSION_SECRET")
    maybe_set(settings, "registry.environment", "REGISTRY_ENVIRONMENT")
    settings.setdefault("registry.environment", "production")
    if settings["registry.environment"] not in ENVIRONMENTS:
        raise ConfigurationError(
            f"registry.environment must be one of {', '.join(ENVIRONMENTS)}, "
            f"not {settings['registry.environment']!r}"
        )
    if not settings.get("sqlalchemy.url"):
        raise ConfigurationError("sqlalchemy.url is not set (or set REGISTRY_DATABASE_URL)")
    settings.setdefault("registry.index_dir", str(PROJECT_ROOT / "var" / "index"))
    settings["session.secret"] = _session_secret(settings)
    settings.setdefault("jinja2.directories", str(PROJECT_ROOT / "templates"))
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    return settings


def configure(settings: dict[str, Any] | None = None) -> Configurator:
    settings = normalise_settings(settings)
    config = Configurator(settings=settings, root_factory=RootFactory)

    # Framework pieces: templates, services, one transaction per request.
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".html")
    config.include("pyramid_services")
    config.include("pyramid_tm")

    # Cross-cutting: database session, sessions and CSRF, security headers, static assets.
    config.include(".db")
    config.include(".sessions")
    config.include(".headers")
    config.include(".changes")  # public pages cacheable, validated by the data version
    config.include(".forms")
    config.include(".static")

    # Features, each owning its models, services, views and forms.
    config.include(".audit")
    config.include(".accounts")
    config.include(".home")
    config.include(".errors")
    # The registry core: what is recorded.
    config.include(".frameworks")
    config.include(".suppliers")
    config.include(".buyers")
    config.include(".contracts")
    config.include(".csvimport")
    # What is computed and published from it.
    config.include(".scoring")
    config.include(".markets")
    config.include(".flags")
    config.include(".opportunities")
    config.include(".products")
    config.include(".opendata")
    config.include(".search")
    config.include(".api")

    config.include(".routes")
    config.scan(ignore=["registry.migrations", "registry.cli"])
    config.commit()
    configure_environment(config)
    return config


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """The paste entry point used by pserve and waitress."""
    app = configure(settings).make_wsgi_app()
    freeze_start_up(settings)
    return app


def freeze_start_up(settings: dict[str, Any]) -> None:
    """With `registry.gc_freeze` (the ini files set it; a test process does not, so its
    garbage is still found and its unclosed files still warned of): what start-up built (routes,
    templates, mappers, settings) lives as long as the process, so it is moved out of the
    collector's sight. A full collection then walks only what requests make: at 100,000 records
    full collections were most of a search's p95 on PostgreSQL."""
    if asbool(settings.get("registry.gc_freeze", False)):
        gc.collect()
        gc.freeze()
