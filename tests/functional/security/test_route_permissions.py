"""Every route's views declare a permission: a view added without one fails here."""

from __future__ import annotations

from typing import Any

from pyramid.interfaces import IRoutesMapper

from registry.authnz import Permissions
from registry.config import configure


def _route_views(app_settings: dict[str, Any]) -> tuple[list[str], dict[str, list[Any]]]:
    config = configure(dict(app_settings))
    try:
        introspector = config.registry.introspector
        mapper = config.registry.getUtility(IRoutesMapper)
        routes = [r.name for r in mapper.get_routes() if not r.name.startswith("__")]
        views: dict[str, list[Any]] = {}
        for entry in introspector.get_category("views"):
            view = entry["introspectable"]
            if view["route_name"]:
                permissions = [
                    related["value"]
                    for related in entry["related"]
                    if related.category_name == "permissions"
                ]
                views.setdefault(view["route_name"], []).append(
                    {"methods": view["request_methods"], "permission": (permissions or [None])[0]}
                )
        return routes, views
    finally:
        config.registry["sqlalchemy.engine"].dispose()


def test_every_view_on_a_route_declares_a_known_permission(app_settings: dict[str, Any]) -> None:
    _routes, views = _route_views(app_settings)
    known = {p.value for p in Permissions}
    undeclared = []
    for route_name, route_views in views.items():
        if route_name.startswith("__"):  # static assets
            continue
        for view in route_views:
            permission = view["permission"]
            if permission is None or str(permission) not in known:
                undeclared.append(f"{route_name} ({view['methods']}): {permission!r}")
    assert undeclared == [], "views without a declared registry permission:\n" + "\n".join(
        undeclared
    )


def test_login_and_home_have_views(app_settings: dict[str, Any]) -> None:
    # Guards the test above against an introspector that finds nothing.
    _routes, views = _route_views(app_settings)
    assert {"home", "accounts.login", "accounts.logout", "audit.trail"} <= set(views)
