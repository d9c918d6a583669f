"""Search over the real seed data (seed_data/, loaded by `registry seed`)."""

from __future__ import annotations

from typing import Any

import pytest
import webtest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.functional.search.conftest import IndexHelper


@pytest.fixture(scope="module")
def seeded_index(seeded_engine: Engine, app_settings: dict[str, Any]) -> None:
    """The app's index, built once from the seeded database: these tests only read."""
    with Session(seeded_engine) as db:
        IndexHelper(app_settings, db).rebuild()


@pytest.fixture
def seeded_search(seeded_index: None, seeded_webtest_app: webtest.TestApp) -> webtest.TestApp:
    return seeded_webtest_app


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
