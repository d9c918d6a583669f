"""Search over the real seed data (seed_data/, loaded by `registry seed`)."""

from __future__ import annotations

import pytest
import webtest


def titles(page: webtest.TestResponse, kind: str) -> list[str]:
    return [a.text for a in page.html.select(f'ul[data-kind="{kind}"] li > a.govuk-link')]


def test_emis_finds_the_emis_supplier(seeded_search: webtest.TestApp) -> None:
    assert "EMIS Health" in titles(seeded_search.get("/search", params={"q": "EMIS"}), "supplier")


def test_systmone_finds_tpp_records(seeded_search: webtest.TestApp) -> None:
    page = seeded_search.get("/search", params={"q": "systmone"})
    contracts = titles(page, "contract")
    assert contracts and all("SystmOne" in t for t in contracts)
    frameworks = seeded_search.get("/search", params={"q": "systmone", "kind": "framework"})
    assert any("GP Systems of Choice" in t for t in titles(frameworks, "framework"))


def test_a_group_companies_house_number_finds_its_suppliers(
    seeded_search: webtest.TestApp,
) -> None:
    page = seeded_search.get("/search", params={"q": "06553923"})  # EMIS Group plc
    assert "EMIS Health" in titles(page, "supplier")


def test_bulk_extract_finds_the_portability_obligations(seeded_search: webtest.TestApp) -> None:
    page = seeded_search.get("/search", params={"q": "bulk extract", "kind": "obligation"})
    found = titles(page, "obligation")
    assert any(t.startswith("Bulk extract") for t in found)


@pytest.mark.parametrize(("typed", "meant"), [("Microtset", "Microtest"), ("Sytmone", "SystmOne")])
def test_a_misspelling_gets_a_suggestion(
    seeded_search: webtest.TestApp, typed: str, meant: str
) -> None:
    page = seeded_search.get("/search", params={"q": typed})
    assert page.html.select_one("#suggestion a").text == meant
