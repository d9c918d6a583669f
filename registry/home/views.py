"""The home page: what the registry found, for everyone; each role's work, once signed in; and
the About page."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.clock import today
from registry.home import figures, roles
from registry.markets.cache import cached


@view_config(
    route_name="home",
    renderer="home/index.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def home(request: Request) -> dict[str, Any]:
    threshold = request.registry["registry.detection"].thresholds["market_concentration"]
    as_of = today()
    # The clocks are worked out, not stored: kept as long as the market figures' cache keeps
    # them, so a busy home page does not compute every contract's clocks on each request.
    due = cached(
        request, ("home-clocks", as_of), lambda: figures.clocks_coming_due(request.db, as_of)
    )
    return {
        **figures.public_home(
            request.db,
            request.registry["registry.markets.cpv_depth"],
            int(threshold["min_contracts"]),
        ),
        **due,
    }


@view_config(
    route_name="home",
    renderer="home/role.html",
    permission=Permissions.PublicRead,
    request_method="GET",
    is_authenticated=True,
)
def role_home(request: Request) -> dict[str, Any]:
    return roles.role_home(request.db, request.identity, today())


@view_config(
    route_name="about",
    renderer="home/about.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def about(request: Request) -> dict[str, Any]:
    return {}
