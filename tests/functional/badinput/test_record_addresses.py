"""The public records' route factories (suppliers, groups, merges, buyers, frameworks, lots): an
address naming no record is a 404 on the error page, never a 500, on every route they serve; and
someone refused a form is refused whether or not the record exists (the record is loaded after
the permission check, as it was before the factories)."""

from __future__ import annotations

from typing import Any

import pytest

from registry.resources import PublicRecordContext
from tests.common import access

VIEWS = [
    v
    for v in access.route_views()
    if isinstance(v.factory, type) and issubclass(v.factory, PublicRecordContext)
]
GETS = [v for v in VIEWS if v.method == "GET"]

# What each placeholder of theirs is given: text that cannot be a record's, or names none.
NO_RECORD: dict[str, dict[str, str]] = {
    "id": {
        "letters": "abc",
        "negative": "-1",
        "zero": "0",
        "past_int64": "99999999999999999999",
        "past_int32": str(2**31),
        "unused": str(2**31 - 1),
    },
    "reference": {"unknown": "NO-SUCH-FRAMEWORK", "nul": "%00", "overlong": "R" * 500},
    "number": {"unknown": "99", "nul": "%00", "overlong": "9" * 500},
}


def test_every_public_record_route_has_its_factory() -> None:
    routes = {v.route for v in VIEWS}
    assert {
        "suppliers.detail",
        "suppliers.edit",
        "suppliers.memberships",
        "suppliers.obligations",
        "suppliers.group",
        "suppliers.merge",
        "suppliers.merges.reverse",
        "suppliers.groups.detail",
        "suppliers.groups.edit",
        "buyers.detail",
        "buyers.edit",
        "frameworks.detail",
        "frameworks.edit",
        "frameworks.status",
        "frameworks.retract",
        "frameworks.lots.new",
        "frameworks.lots.detail",
        "frameworks.lots.edit",
        "frameworks.lots.retract",
        "frameworks.memberships.new",
        "frameworks.memberships.status",
        "frameworks.obligations.new",
        "frameworks.obligations.edit",
        "frameworks.obligations.retract",
    } <= routes


def _addresses(planting: access.Planting, view: access.RouteView) -> list[tuple[str, str]]:
    """(what was put where, URL) for each placeholder and each value naming no record."""
    params = access.variants(view, planting.planted)[0][1]
    found = []
    for name in view.placeholders:
        for kind, value in NO_RECORD[name].items():
            found.append((f"{{{name}}} {kind}", access.fill(view.pattern, {**params, name: value})))
    return found


def _is_error_page(response: Any) -> bool:
    return response.status_int == 404 and "html" in response.content_type


@pytest.mark.parametrize("view", GETS, ids=[v.route for v in GETS])
def test_an_address_naming_no_record_is_not_found(
    planting: access.Planting, view: access.RouteView
) -> None:
    """As an admin, whom every one of these pages lets in; and, on the public pages, anyone."""
    problems = []
    roles = ("admin", "anonymous") if view.permission == "public:registry:read" else ("admin",)
    for role in roles:
        for case, url in _addresses(planting, view):
            response = planting.clients[role].get(url)
            if not _is_error_page(response):
                problems.append(f"{role} {case} {url[:80]}: {access.describe(response)}")
    assert problems == []


@pytest.mark.parametrize(
    "view",
    [v for v in VIEWS if v.permission != "public:registry:read"],
    ids=lambda v: f"{v.route} {v.method}",
)
def test_a_refused_visitor_is_refused_whether_or_not_the_record_exists(
    planting: access.Planting, view: access.RouteView
) -> None:
    """Anonymous: the same refusal (a 403, or the sign-in page) as at the planted record's
    address, so a refusal says nothing of which records exist."""
    client = planting.clients["anonymous"]

    def ask(url: str) -> Any:
        return client.get(url) if view.method == "GET" else client.post(url)

    real = ask(access.fill(view.pattern, access.variants(view, planting.planted)[0][1]))
    assert real.status_int == 403 or access.is_login_redirect(real), access.describe(real)
    problems = []
    for case, url in _addresses(planting, view):
        if "{id} letters" in case or "{id} negative" in case:
            continue  # no route has such an address: the 404 comes before any view
        response = ask(url)
        if response.status_int != real.status_int:
            problems.append(f"{case} {url[:80]}: {access.describe(response)}")
    assert problems == []
