"""Every GET route fed numbers no record can have (the corpus's BAD_NUMBERS): in each numeric
part of its address, a 404 on the error page (a JSON 400 or 404 under /api); in every query parameter the app's
pages and API use, anything but a 5xx.

The routes come from the route table and the query parameters from the pages themselves (their
links and filter forms) and from the OpenAPI document, so a page or parameter added by any feature
is covered without editing this file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from registry.api.validation import load_spec
from tests.common import access
from tests.functional.badinput.corpus import BAD_NUMBERS

VIEWS = [
    v
    for v in access.route_views()
    if v.method == "GET" and v.route not in {"accounts.logout", "data.snapshots.file"}
]


def filled(planting: access.Planting, view: access.RouteView) -> access.Params:
    try:
        return access.variants(view, planting.planted)[0][1]
    except access.UnfillableRoute as exc:
        pytest.fail(f"cannot build a URL for {exc}: add it to tests/common/access.py")


def numeric(params: access.Params) -> list[str]:
    """The placeholders filled with a record's number (ids, groups, years)."""
    return [name for name, value in params.items() if value.isascii() and value.isdigit()]


def test_every_numeric_route_is_tried() -> None:
    tried = {v.route for v in VIEWS if {"id", "group", "year"} & set(v.placeholders)}
    assert {"contracts.detail", "assessments.reply", "api.supplier_scores"} <= tried
    assert "opportunities.detail" in tried
    assert len(tried) >= 30


@pytest.mark.parametrize("kind", list(BAD_NUMBERS))
def test_a_number_no_record_has_in_the_address_is_not_found(
    planting: access.Planting, kind: str
) -> None:
    bad = BAD_NUMBERS[kind]
    client = planting.clients["admin"]
    problems = []
    for view in VIEWS:
        params = filled(planting, view)
        for name in numeric(params):
            url = access.fill(view.pattern, {**params, name: quote(bad)})
            response = client.get(url)
            wanted = (400, 404) if view.route.startswith("api.") else (404,)
            if response.status_int not in wanted:
                problems.append(f"{view.route} {{{name}}}={bad[:25]}: {response.status}")
            elif "html" not in response.content_type and "json" not in response.content_type:
                # The plain-text fallback: the error page itself failed to draw.
                problems.append(f"{view.route} {{{name}}}={bad[:25]}: no error page")
    assert problems == [], f"{kind}:\n" + "\n".join(problems)


def _query_names(planting: access.Planting) -> set[str]:
    """Every query parameter a page links with or a filter form sends, and the API's. With the
    few planted records no list has a second page, and no search has results to compare."""
    names: set[str] = {"page", "ids"}
    for view in VIEWS:
        if view.route.startswith("api."):
            continue
        for role in ("anonymous", "admin"):
            response = planting.clients[role].get(access.fill(view.pattern, filled(planting, view)))
            if response.status_int != 200 or "html" not in response.content_type:
                continue
            for link in response.html.find_all("a", href=True):
                parts = urlsplit(str(link["href"]))
                if not parts.netloc:
                    names.update(key for key, _ in parse_qsl(parts.query))
            for form in response.forms.values():
                if (form.method or "GET").upper() == "GET":
                    names.update(name for name in form.fields if name)
    spec = load_spec()
    shared = spec["components"]["parameters"]
    for path in spec["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                parameter = shared.get(parameter.get("$ref", "").rpartition("/")[2], parameter)
                if parameter.get("in") == "query":
                    names.add(parameter["name"])
    return names


@pytest.fixture(scope="module")
def query_names(planting: access.Planting) -> list[str]:
    return sorted(_query_names(planting))


def test_the_query_parameters_are_found(query_names: list[str]) -> None:
    # The ones the security tester found a 500 with, and the API's.
    assert {"page", "buyer", "supplier", "group", "year", "compare", "ids"} <= set(query_names)
    assert {"limit", "cursor"} <= set(query_names)


@pytest.mark.parametrize("kind", list(BAD_NUMBERS))
def test_a_bad_number_in_any_query_parameter_is_never_a_500(
    planting: access.Planting, query_names: list[str], kind: str
) -> None:
    bad = BAD_NUMBERS[kind]
    query = urlencode([(name, bad) for name in query_names])
    problems = []
    for view in VIEWS:
        url = access.fill(view.pattern, filled(planting, view))
        for role in ("anonymous", "admin"):
            response: Any = planting.clients[role].get(f"{url}?{query}")
            if response.status_int >= 500:
                problems.append(f"{role} {view.route}: {response.status}")
    assert problems == [], f"{kind}:\n" + "\n".join(problems)
