"""Jinja2 environment: GOV.UK Frontend macros, and filters that format numbers the same everywhere
(registry/formatting.py, shared with the code that writes sentences)."""

from __future__ import annotations

from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, PrefixLoader
from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.interfaces import IRoutesMapper
from pyramid_jinja2 import PARENT_RELATIVE_DELIM

from registry import clock
from registry.authnz import RootFactory
from registry.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_percent,
    format_score,
)
from registry.frameworks import lifecycle
from registry.sessions import pop_flashes

FILTERS: dict[str, Any] = {
    "date": format_date,
    "datetime": format_datetime,
    "money": format_money,
    "number": format_number,
    "percent": format_percent,
    "score": format_score,
}


class GovukFrontendLoader(BaseLoader):
    """govuk-frontend-jinja's macros, which import each other as "govuk_frontend_jinja/...".

    pyramid_jinja2 names templates relative to their parent ("x@@FROM_PARENT@@y"); these macros
    are always named absolutely, so the parent part is dropped.
    """

    def __init__(self) -> None:
        self.loader = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})

    def get_source(self, environment: Environment, template: str) -> Any:
        name = template.split(PARENT_RELATIVE_DELIM, 1)[0]
        return self.loader.get_source(environment, name)


def configure_environment(config: Configurator) -> None:
    """Run after commit, once pyramid_jinja2 has made its environment."""
    env = config.get_jinja2_environment(".html")
    env.loader = ChoiceLoader([env.loader, GovukFrontendLoader()])
    parent_relative = env.join_path

    def join_path(template: str, parent: str) -> str:
        # The macros are named absolutely: one compiled copy, whichever page imports them (named
        # relative to each page, every page compiled its own copies on first use).
        if template.startswith("govuk_frontend_jinja/"):
            return template
        return str(parent_relative(template, parent))

    env.join_path = join_path
    env.filters.update(FILTERS)
    env.globals["service_name"] = "Supplier Accountability Registry"
    env.globals["csrf_token"] = get_csrf_token
    env.globals["pop_flashes"] = pop_flashes
    env.globals["main_navigation"] = main_navigation
    # Lifecycles follow their dates (issue 19): a framework past its end is shown expired, and
    # its memberships ended, wherever a page shows them.
    env.globals["framework_status"] = framework_status
    env.globals["membership_state"] = shown_membership


def framework_status(framework: Any) -> str:
    """The framework's status as shown today (registry/frameworks/lifecycle.py)."""
    return lifecycle.shown_status(framework, clock.today()).value


def shown_membership(membership: Any, framework: Any) -> Any:
    """The membership's state as shown today: its status, or "Ended" with its framework."""
    return lifecycle.membership_state(membership, framework, clock.today())


# (route name, label, permission needed or None). Routes not yet registered are left out, so a
# feature appears in the navigation as soon as its package is included.
NAVIGATION: list[tuple[str, str, str | None]] = [
    ("frameworks.list", "Frameworks", None),
    ("suppliers.list", "Suppliers", None),
    ("buyers.list", "Buyers", None),
    ("contracts.list", "Contracts", None),
    # Published ratings for the public; suppliers find their own to reply to here.
    ("assessments.list", "Assessments", None),
    ("markets.list", "Markets", None),
    ("flags.list", "Flags", None),
    ("opportunities.list", "Opportunities", None),
    ("exposure", "Unsupported software", None),
    ("search", "Search", None),
    ("data", "Open data", None),
    ("review.queue", "Review", "auditor:review:act"),
    ("audit.trail", "Audit trail", "auditor:audit:read"),
    ("accounts.users", "Users", "admin:users:manage"),
]


# Sections whose routes share a prefix with routes outside them (sign-in is not "Users").
SECTION_PREFIXES = {
    "accounts.users": ("accounts.user",),
    "exposure": ("exposure", "products."),  # products and their end of support
}


def _in_section(current: str, route_name: str) -> bool:
    prefixes = SECTION_PREFIXES.get(route_name, (route_name.split(".")[0] + ".",))
    return current == route_name or current.startswith(prefixes)


def main_navigation(request: Any) -> list[dict[str, Any]]:
    mapper = request.registry.queryUtility(IRoutesMapper)
    current = request.matched_route.name if request.matched_route else ""
    # Site-wide grants, not the page's context: a route factory that raised (a 404 for a record
    # that does not exist) leaves the request without one, and its error page draws this too.
    site = RootFactory(request)
    items = []
    for route_name, label, permission in NAVIGATION:
        if mapper.get_route(route_name) is None:
            continue
        if permission and not request.has_permission(permission, site):
            continue
        items.append(
            {
                "href": request.route_path(route_name),
                "text": label,
                "active": _in_section(current, route_name),
            }
        )
    return items
