"""Wildcard searches of the seeded registry: too broad ones refused on the page and the API."""

from __future__ import annotations

from typing import Any

import pytest
import webtest


@pytest.mark.parametrize("query", ["?*?*", "*", "a*", "??", "?*?*?", "*:*", "x?* y*"])
def test_too_broad_searches_are_refused_with_the_reason(
    seeded_search: webtest.TestApp, query: str
) -> None:
    page = seeded_search.get("/search", params={"q": query}, status=400)
    assert "Your search is too broad" in page.html.select_one("#too-broad").text
    assert page.html.select_one("#q")["value"] == query
    api = seeded_search.get("/api/v1/search", params={"q": query}, status=400).json["error"]
    assert api["message"].startswith("Your search is too broad")
    assert api["fields"][0]["field"] == "query.q"


@pytest.mark.parametrize(("query", "title"), [("EMIS*", "EMIS Health"), ("clin*", "clinical")])
def test_prefix_searches_still_work(seeded_search: webtest.TestApp, query: str, title: str) -> None:
    page = seeded_search.get("/search", params={"q": query})
    assert any(title in a.text for a in page.html.select("ul.app-search-results li > a"))
    assert seeded_search.get("/api/v1/search", params={"q": query}).json["total"] > 0


def test_fuzzy_marks_are_plain_punctuation(seeded_search: webtest.TestApp) -> None:
    for query in ("emis~", "emis~2", "~"):
        seeded_search.get("/search", params={"q": query}, status=200)


def test_the_expansion_limit_is_a_setting(
    seeded_search: webtest.TestApp, wsgi_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(wsgi_app.registry.settings, "registry.search.max_expansions", "3")
    seeded_search.get("/search", params={"q": "clin*"}, status=200)  # 3 words: within it
    page = seeded_search.get("/search", params={"q": "pr*"}, status=400)
    assert "more than 3 words" in page.html.select_one("#too-broad").text
    api = seeded_search.get("/api/v1/search", params={"q": "pr*"}, status=400).json
    assert "more than 3 words" in api["error"]["message"]
