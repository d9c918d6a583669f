"""/search through the real app: finding the GP systems records, suggestions, facets, paging,
forgiving bad input, and an index that is missing or damaged."""

from __future__ import annotations

import gc
import shutil
from typing import Any

import pytest
import webtest

from tests.common.db.core import SupplierFactory
from tests.common.db.search import EMIS_CH, gp_market


def result_keys(page: webtest.TestResponse, kind: str) -> list[str]:
    return [a.attrs["href"] for a in page.html.select(f'ul[data-kind="{kind}"] li > a.govuk-link')]


@pytest.fixture
def market(search_index: Any) -> Any:
    market = gp_market()
    search_index.rebuild()
    return market


def test_empty_search_shows_the_box_and_help(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/search")
    assert page.html.select_one("input#q")
    assert "bulk extract" in page.text
    assert not page.html.select("#result-count")


def test_finds_emis_by_name_with_the_match_marked(
    webtest_app: webtest.TestApp, market: Any
) -> None:
    page = webtest_app.get("/search", params={"q": "EMIS"})
    assert result_keys(page, "supplier") == [f"/suppliers/{market.emis.id}"]
    marked = page.html.select('ul[data-kind="supplier"] mark.app-search-match')
    assert marked and marked[0].text == "EMIS"
    # Each supplier can be ticked for comparison.
    assert page.html.select_one(f'input[name="ids"][value="{market.emis.id}"]')
    assert page.html.select_one('form[action="/compare"]')


def test_finds_systmone_by_alias_in_lower_case(webtest_app: webtest.TestApp, market: Any) -> None:
    page = webtest_app.get("/search", params={"q": "systmone"})
    assert result_keys(page, "supplier") == [f"/suppliers/{market.tpp.id}"]


def test_finds_a_supplier_by_companies_house_number(
    webtest_app: webtest.TestApp, market: Any
) -> None:
    page = webtest_app.get("/search", params={"q": EMIS_CH})
    assert result_keys(page, "supplier") == [f"/suppliers/{market.emis.id}"]


def test_finds_the_bulk_extract_obligation(webtest_app: webtest.TestApp, market: Any) -> None:
    page = webtest_app.get("/search", params={"q": "bulk extract"})
    items = page.html.select('ul[data-kind="obligation"] li')
    assert len(items) == 1
    assert "Bulk extract of the practice" in items[0].text
    assert "data portability" in items[0].text
    assert result_keys(page, "obligation") == ["/frameworks/RM9999"]


def test_suggests_systmone_for_a_misspelling(webtest_app: webtest.TestApp, market: Any) -> None:
    page = webtest_app.get("/search", params={"q": "Sytmone"})
    suggestion = page.html.select_one("#suggestion a")
    assert suggestion is not None and suggestion.text == "SystmOne"
    followed = webtest_app.get(suggestion.attrs["href"])
    assert result_keys(followed, "supplier") == [f"/suppliers/{market.tpp.id}"]


def test_results_are_grouped_by_type_and_facets_filter(
    webtest_app: webtest.TestApp, market: Any
) -> None:
    page = webtest_app.get("/search", params={"q": "RM9999"})
    headings = [h.text for h in page.html.select(".govuk-grid-column-three-quarters h2")]
    assert headings == ["Frameworks", "Lots", "Obligations"]
    category = page.html.select_one('ul[data-facet="category"]')
    link = next(a for a in category.select("a") if "data portability" in a.text)
    assert "(1)" in link.parent.text
    filtered = webtest_app.get(link.attrs["href"])
    assert [h.text for h in filtered.html.select(".govuk-grid-column-three-quarters h2")] == [
        "Obligations"
    ]
    assert "Bulk extract" in filtered.html.select_one('ul[data-kind="obligation"]').text
    # The chosen value is marked and its link unticks it.
    chosen = filtered.html.select_one('ul[data-facet="category"] strong')
    assert "data portability" in chosen.text
    unticked = webtest_app.get(chosen.parent.attrs["href"])
    assert len(unticked.html.select(".govuk-grid-column-three-quarters h2")) == 3


def test_type_facet_keeps_only_suppliers(webtest_app: webtest.TestApp, market: Any) -> None:
    page = webtest_app.get("/search", params={"q": "Ltd", "kind": "supplier"})
    assert len(result_keys(page, "supplier")) == 3
    assert not page.html.select('ul[data-kind="contract"]')


def test_draft_contracts_are_not_found(webtest_app: webtest.TestApp, market: Any) -> None:
    assert "No results" in webtest_app.get("/search", params={"q": "confidential draft"}).text
    page = webtest_app.get("/search", params={"q": "clinical system"})
    assert result_keys(page, "contract") == [f"/contracts/{market.published.id}"]


def test_pages_through_many_results(webtest_app: webtest.TestApp, search_index: Any) -> None:
    for n in range(45):
        SupplierFactory(name=f"Quokka Systems {n} Ltd")
    search_index.rebuild()
    first = webtest_app.get("/search", params={"q": "quokka"})
    assert "45 results" in first.text and "page 1 of 3" in first.text
    assert len(result_keys(first, "supplier")) == 20
    second = webtest_app.get(first.html.select_one("a[rel=next]").attrs["href"])
    assert "page 2 of 3" in second.text
    assert not set(result_keys(first, "supplier")) & set(result_keys(second, "supplier"))
    last = webtest_app.get("/search", params={"q": "quokka", "page": "3"})
    assert len(result_keys(last, "supplier")) == 5 and not last.html.select("a[rel=next]")


@pytest.mark.parametrize(
    "q",
    [
        '"EMIS',
        "EMIS AND",
        "OR",
        "((EMIS",
        "EMIS)) NOT",
        "emi*",
        "title:EMIS",
        "%00",
        "<script>",
    ],
)
def test_bad_syntax_gets_a_forgiving_search(
    webtest_app: webtest.TestApp, market: Any, q: str
) -> None:
    page = webtest_app.get("/search", params={"q": q})
    assert page.status_int == 200
    assert page.html.select_one("#result-count")
    if "EMIS" in q:
        assert f"/suppliers/{market.emis.id}" in result_keys(page, "supplier")
    assert "<script>" not in page.html.select_one("main").decode_contents()


def test_very_long_input_is_shortened_with_a_message(
    webtest_app: webtest.TestApp, market: Any
) -> None:
    page = webtest_app.get("/search", params={"q": "EMIS " + "word " * 3000})
    assert page.status_int == 200
    assert "longer than 200 characters" in page.text


def test_facet_values_and_pages_that_are_nonsense_are_ignored(
    webtest_app: webtest.TestApp, market: Any
) -> None:
    page = webtest_app.get(
        "/search", params={"q": "EMIS", "kind": "nothing", "page": "-3", "flavour": "x"}
    )
    assert page.status_int == 200
    assert "No results" in page.text


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_missing_or_damaged_index_says_search_is_being_rebuilt_until_reindexed(
    webtest_app: webtest.TestApp,
    search_index: Any,
    database_url: str,
    tmp_path: Any,
    damage: str,
) -> None:
    from tests.common.cli import run_cli

    if damage == "delete":
        shutil.rmtree(search_index.path)
    else:
        for toc in search_index.path.glob("*.toc"):
            toc.write_bytes(b"\x00garbage")
    page = webtest_app.get("/search", params={"q": "EMIS"}, status=503)
    assert "Search is being rebuilt" in page.text
    assert "No data has been lost" in page.text
    api = webtest_app.get("/api/v1/search", params={"q": "EMIS"}, status=503)
    assert api.json["error"]["message"].startswith("Search is being rebuilt")

    ini = tmp_path / "test.ini"
    ini.write_text(
        "[app:main]\nuse = egg:supplier-accountability-registry\n"
        "registry.environment = development\n"
        f"sqlalchemy.url = {database_url.replace('%', '%%')}\n"
        f"registry.var_dir = {tmp_path}\nregistry.index_dir = {search_index.path}\n"
    )
    result = run_cli(ini, "reindex")
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    assert webtest_app.get("/search", params={"q": "EMIS"}).status_int == 200
    gc.collect()  # close what Whoosh left open while this test's warning filters apply
