"""Each public list page links to its table's CSV and JSON downloads."""

from __future__ import annotations

import pytest
import webtest


@pytest.mark.parametrize("table", ["frameworks", "suppliers", "buyers", "contracts", "products"])
def test_list_page_links_to_its_downloads(webtest_app: webtest.TestApp, table: str) -> None:
    page = webtest_app.get(f"/{table}")
    for fmt in ("csv", "json"):
        link = page.html.find("a", href=f"/data/{table}.{fmt}")
        assert link is not None, f"/{table} has no link to /data/{table}.{fmt}"
        webtest_app.get(link["href"], status=200)
