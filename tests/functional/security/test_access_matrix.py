"""Every route by every role, generated from the route table: the outcome each role gets is the one
the view's declared permission and the route's ACL (site-wide or per-object) say it should get.

A route added by any feature is checked here without editing this file; one whose URL cannot be
built fails with the missing parameter, to be added to tests/common/access.py (PLANTING).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.common import access

VIEWS = access.route_views()

# Every response, whatever its status, carries these (registry/headers.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def missing_headers(case: str, response: Any) -> list[str]:
    return [
        f"{case}: {response.status} without {name}: {wanted}"
        for name, wanted in SECURITY_HEADERS.items()
        if wanted not in response.headers.get(name, "")
    ]


# (route, method) → the bug that makes it fail today. Strict: fixing the bug fails the run until
# the entry is removed here.
KNOWN: dict[tuple[str, str], str] = {}


def _params(method: str) -> list[Any]:
    return [
        pytest.param(
            view,
            id=view.route,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[(view.route, method)])]
            if (view.route, method) in KNOWN
            else [],
        )
        for view in VIEWS
        if view.method == method
    ]


class Matrix(access.Planting):
    def audit_events(self) -> int:
        return self.row_counts()["audit_events"]

    def cases(self, view: access.RouteView) -> Iterator[tuple[str, str, access.Client, bool]]:
        try:
            found = access.variants(view, self.planted)
        except access.UnfillableRoute as exc:
            pytest.fail(f"cannot build a URL for {exc}: add it to tests/common/access.py")
        for label, params in found:
            url = access.fill(view.pattern, params)
            for role in access.ROLES:
                client = self.clients[role]
                allowed = access.permitted(view, params, self.db, client.user)
                yield f"{role}{' (' + label + ')' if label else ''} {url}", url, client, allowed


@pytest.fixture(scope="module")
def matrix(engine: Engine, wsgi_app: Any) -> Iterator[Matrix]:
    """Planted once per module in a transaction rolled back at the end; each test in a SAVEPOINT."""
    planting = Matrix(engine, wsgi_app)
    try:
        yield planting
    finally:
        planting.close()


@pytest.fixture
def each(matrix: Matrix) -> Iterator[Matrix]:
    nested = matrix.connection.begin_nested()
    try:
        yield matrix
    finally:
        nested.rollback()
        matrix.db.expire_all()


def test_every_route_with_a_view_is_checked() -> None:
    # Guards the generated tests against an introspector that finds nothing.
    routes = {v.route for v in VIEWS}
    assert {"home", "contracts.detail", "contracts.edit", "audit.trail"} <= routes
    assert any(v.method == "POST" for v in VIEWS)


@pytest.mark.parametrize("view", _params("GET"))
def test_get(each: Matrix, view: access.RouteView) -> None:
    problems = []
    for case, url, client, allowed in each.cases(view):
        response = client.get(url)
        status = response.status_int
        problems += missing_headers(case, response)
        if status >= 500:
            problems.append(f"{case}: {access.describe(response)} (server error)")
        elif allowed and (status in (401, 403) or access.is_login_redirect(response)):
            if not (view.token_api and status == 401):
                problems.append(f"{case}: allowed, got {access.describe(response)}")
        elif allowed and status >= 400 and status != 400:  # 400: a required query is missing
            problems.append(f"{case}: allowed, got {access.describe(response)}")
        elif not allowed:
            refused = status == 403 or (
                client.user is None and status == 303 and access.is_login_redirect(response)
            )
            if not refused:
                problems.append(
                    f"{case}: refused by {view.permission}, got {access.describe(response)}"
                )
    assert problems == [], f"{view.route} GET ({view.permission}):\n" + "\n".join(problems)


@pytest.mark.parametrize("view", _params("POST"))
def test_post_with_an_empty_body(each: Matrix, view: access.RouteView) -> None:
    problems = []
    for case, url, client, allowed in each.cases(view):
        before = each.audit_events()
        response = client.post(url)
        status = response.status_int
        problems += missing_headers(case, response)
        if status >= 500:
            problems.append(f"{case}: {access.describe(response)} (server error)")
        elif "did not come from this site" in response.text:
            problems.append(f"{case}: the CSRF token was refused, so nothing else was tested")
        elif allowed:
            bad = status in (401, 403) or access.is_login_redirect(response) or status < 300
            if bad and not (view.token_api and status == 401):
                problems.append(
                    f"{case}: allowed, wanted a 4xx or a redirect, got {access.describe(response)}"
                )
        else:
            refused = status == 403 or (client.user is None and access.is_login_redirect(response))
            if not refused:
                problems.append(
                    f"{case}: refused by {view.permission}, got {access.describe(response)}"
                )
            if each.audit_events() != before:
                problems.append(f"{case}: refused, but an audit event was written")
    assert problems == [], f"{view.route} POST ({view.permission}):\n" + "\n".join(problems)


@pytest.mark.parametrize("view", [v for v in _params("POST") if v.values[0].require_csrf])
def test_post_without_the_csrf_token_is_refused_and_writes_nothing(
    each: Matrix, view: access.RouteView
) -> None:
    """Signed in as a role the route allows, so the token is the only thing missing."""
    problems = []
    tried = 0
    for case, url, client, allowed in each.cases(view):
        if not allowed:
            continue
        tried += 1
        before = each.row_counts()
        response = client.post(url, {"reason": "x", "title": "x", "email": "a@example.org"})
        if response.status_int != 400 or "did not come from this site" not in response.text:
            problems.append(f"{case}: {access.describe(response)}, wanted the 400 CSRF page")
        problems += missing_headers(case, response)
        if each.row_counts() != before:
            problems.append(f"{case}: refused, but rows were written")
    assert tried, f"{view.route}: no role may POST here, so CSRF could not be checked"
    assert problems == [], f"{view.route} POST without a CSRF token:\n" + "\n".join(problems)
