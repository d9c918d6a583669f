"""Static assets: the pinned govuk-frontend npm package and the registry's compiled stylesheet."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from registry import PROJECT_ROOT

GOVUK_FRONTEND = PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def includeme(config: Configurator) -> None:
    if not (GOVUK_FRONTEND / "assets").is_dir():
        raise ConfigurationError(
            f"GOV.UK Frontend assets are missing at {GOVUK_FRONTEND}: run `make install`"
        )
    max_age = 3600
    config.add_static_view("assets", str(GOVUK_FRONTEND / "assets"), cache_max_age=max_age)
    config.add_static_view("govuk", str(GOVUK_FRONTEND), cache_max_age=max_age)
    config.add_static_view("static", "registry:static", cache_max_age=max_age)
