"""An anonymous visitor following every link from / never sees a draft, of any table that has
unpublished states, in any page, download or API response, and never meets a server error."""

from __future__ import annotations

from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import webtest
from sqlalchemy.orm import Session

from tests.common import access, drafts

MAX_PAGES = 400
SKIP_PREFIXES = ("/static/", "/assets/", "/govuk/", "/logout")


def _same_site(base: str, href: str) -> str | None:
    url, _fragment = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIP_PREFIXES) else path


def _api_lists() -> list[str]:
    # JSON API lists, from the route table: the crawl need not find a link to them.
    return [
        v.pattern
        for v in access.route_views()
        if v.route.startswith("api.") and v.method == "GET" and not v.placeholders
    ]


def crawl(app: webtest.TestApp, start: list[str]) -> dict[str, webtest.TestResponse]:
    seen: dict[str, webtest.TestResponse] = {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        response = app.get(path, status="*", expect_errors=True)
        seen[path] = response
        if response.status_int in (301, 302, 303, 307, 308):
            target = _same_site("http://localhost" + path, response.headers["Location"])
            if target:
                queue.append(target)
        if "html" not in response.content_type:
            continue
        for link in response.html.find_all(["a", "link"], href=True):
            target = _same_site("http://localhost" + path, str(link["href"]))
            if target and target not in seen:
                queue.append(target)
    return seen


def test_no_draft_is_reachable_by_an_anonymous_visitor(
    db_session: Session, webtest_app: webtest.TestApp
) -> None:
    scene = drafts.scene()
    markers, unplanted = drafts.plant_drafts(db_session, scene)
    db_session.commit()
    assert unplanted == [], (
        "tables with unpublished states but no recipe in tests/common/drafts.py PLANTERS: "
        + ", ".join(unplanted)
    )
    assert {"Contract.publication=draft", "Assessment.status=draft"} <= set(markers.values())

    pages = crawl(webtest_app, ["/", *_api_lists()])

    assert len(pages) < MAX_PAGES, "the crawl hit its bound: raise MAX_PAGES or prune links"
    errors = [f"{p}: {r.status}" for p, r in pages.items() if r.status_int >= 500]
    assert errors == [], "server errors:\n" + "\n".join(errors)
    leaks = [f"{markers[m]} on {p}" for p, r in pages.items() for m in markers if m in r.text]
    assert leaks == [], "drafts shown to the public:\n" + "\n".join(leaks)
    # The crawl did reach where the drafts would show: the published control and the downloads.
    control = scene.contract.title
    assert any(control in r.text for r in pages.values() if "html" in r.content_type)
    assert any(control in r.text for r in pages.values() if "csv" in r.content_type)
    assert any(p.startswith(f"/suppliers/{scene.supplier.id}") for p in pages)
