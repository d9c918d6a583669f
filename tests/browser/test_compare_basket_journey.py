"""Issue 18: the compare basket in a browser: search, add two suppliers, search again, add a
third, compare; the basket lives in the URL, and every page is accessible."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.db import create_engine
from registry.frameworks.models import Framework
from registry.search.documents import documents_for
from registry.search.services import make_backend
from registry.seed.loader import load_seed_data
from registry.suppliers.models import Supplier
from tests.browser.conftest import assert_accessible, follow
from tests.common.live import LiveServer


def _seeded_suppliers(live_server: LiveServer, database_url: str) -> None:
    """The seed data in the live database (once), its suppliers indexed."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as db, db.begin():
            if db.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0:
                load_seed_data(db)
            suppliers = set(db.scalars(sa.select(Supplier.id)))
            docs, _ = documents_for(db, {"supplier": suppliers})
            make_backend(live_server.settings, db).rebuild(iter(docs))
    finally:
        engine.dispose()


def test_a_visitor_fills_a_compare_basket_across_searches(
    page: Any, live_server: LiveServer, live_database_url: str
) -> None:
    _seeded_suppliers(live_server, live_database_url)
    page.goto("/search")
    page.get_by_label("Supplier, framework, obligation or contract").fill("clinical systems")
    follow(page, page.get_by_role("button", name="Search"))
    assert_accessible(page)
    adds = page.locator("main a.app-basket-add")
    assert adds.count() >= 4
    follow(page, adds.nth(0))
    follow(page, page.locator("main a.app-basket-add").nth(0))
    basket = page.locator("#compare-basket")
    assert "Compare now" in basket.inner_text()
    chosen = basket.inner_text()

    page.get_by_label("Supplier, framework, obligation or contract").fill("Microsoft")
    follow(page, page.get_by_role("button", name="Search"))
    assert chosen.split("—")[0] == page.locator("#compare-basket").inner_text().split("—")[0]
    follow(page, page.locator("main a.app-basket-add").first)
    assert "Microsoft" in page.locator("#compare-basket").inner_text()
    assert page.url.count("basket=") == 3
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Compare now"))
    assert page.get_by_role("heading", level=1).inner_text() == "Compare suppliers"
    headers = page.locator("table.app-compare thead th").all_inner_texts()[1:]
    assert len(headers) == 3 and any("Microsoft" in h for h in headers)
    assert_accessible(page)
