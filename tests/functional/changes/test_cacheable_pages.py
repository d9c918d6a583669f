"""Cacheable public pages (issue 21): a visitor gets no session cookie, a public
`Cache-Control` with the configured max-age and an ETag from the data version; asked again with
it, the page is answered 304 without being drawn. A write moves the ETag; signed-in users, forms
to post and error pages are never public."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webtest
from pyramid.exceptions import ConfigurationError
from pyramid.renderers import RendererHelper
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.changes.caching import DEFAULT_MAX_AGE
from registry.config import configure
from registry.suppliers.models import SupplierGroup
from tests.common.search import IndexHelper
from tests.conftest import DatabaseFactory, app_on, login
from tests.functional.scale.test_query_counts import CPV, Registry, counting

MAX_AGE = 120

PAGES: dict[str, Callable[[Registry], str]] = {
    "home": lambda r: "/",
    "supplier": lambda r: f"/suppliers/{r.supplier.id}",
    "framework": lambda r: f"/frameworks/{r.framework.reference}",
    "market": lambda r: f"/markets/cpv-{CPV[:5]}",
    "flag": lambda r: f"/flags/{r.flag.id}",
    "api": lambda r: "/api/v1/suppliers",
}


@pytest.fixture(scope="module")
def cache_app(app_settings: dict[str, Any]) -> Iterator[Any]:
    config = configure(dict(app_settings, **{"registry.cache.max_age": str(MAX_AGE)}))
    yield config.make_wsgi_app()
    config.registry["sqlalchemy.engine"].dispose()


@pytest.fixture
def visitor(cache_app: Any, db_connection: Connection) -> webtest.TestApp:
    return app_on(cache_app, db_connection)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates drawn, by name: a 304 must draw none."""
    drawn: list[str] = []
    original = RendererHelper.render

    def render(self: RendererHelper, *args: Any, **kwargs: Any) -> Any:
        drawn.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RendererHelper, "render", render)
    return drawn


def assert_public(response: webtest.TestResponse, max_age: int = MAX_AGE) -> str:
    """The page is public; returns its ETag (none on pages read from the search index)."""
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert "Cookie" in response.headers["Vary"]
    assert "nonce" not in response.headers["Content-Security-Policy"]
    indexed = response.request.path in ("/search", "/api/v1/search")
    assert ("ETag" in response.headers) != indexed, response.request.path
    return str(response.headers.get("ETag", ""))


@pytest.mark.parametrize("page", list(PAGES))
def test_a_visitors_page_is_public_and_answered_304_without_drawing_it(
    page: str,
    visitor: webtest.TestApp,
    db_session: Session,
    db_connection: Connection,
    renders: list[str],
    app_settings: dict[str, Any],
) -> None:
    path = PAGES[page](Registry(db_session))
    IndexHelper(app_settings, db_session).rebuild()
    first = visitor.get(path)
    tag = assert_public(first)
    assert first.body
    assert renders or page == "api", "the page was drawn"
    renders.clear()
    with counting(db_connection) as statements:
        again = visitor.get(path, headers={"If-None-Match": tag}, status=304)
    assert again.body == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"
    assert "Set-Cookie" not in again.headers
    assert renders == [], "a 304 draws no template"
    # One read of the data version, before any transaction of the request's own (no SAVEPOINT in
    # the test's connection): the page's own queries never ran.
    assert len(statements) == 1, statements
    assert "FROM data_version" in statements[0]
    # Another address, or another query string, is another page with its own tag.
    other = visitor.get(path + ("&" if "?" in path else "?") + "page=1")
    assert other.headers.get("ETag") != tag
    # A stale or foreign tag gets the page.
    visitor.get(path, headers={"If-None-Match": 'W/"something-else"'}, status=200)


@pytest.mark.parametrize("path", ["/search?q=Ltd", "/api/v1/search?q=Ltd"])
def test_pages_read_from_the_search_index_are_public_but_never_answered_304(
    path: str, visitor: webtest.TestApp, db_session: Session, app_settings: dict[str, Any]
) -> None:
    # The index is brought up to date just after the commit that moves the data version: a tag
    # would vouch for the old results of a reader who came in between.
    IndexHelper(app_settings, db_session).rebuild()
    first = visitor.get(path)
    assert "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"
    assert "ETag" not in first.headers
    visitor.get(path, headers={"If-None-Match": 'W/"anything"'}, status=200)


def test_a_write_through_the_app_moves_every_tag(
    visitor: webtest.TestApp,
    cache_app: Any,
    db_connection: Connection,
    db_session: Session,
    make_user: Any,
) -> None:
    registry = Registry(db_session)
    db_session.commit()
    paths = ["/", f"/suppliers/{registry.supplier.id}", "/suppliers"]
    tags = {path: assert_public(visitor.get(path)) for path in paths}
    for path, tag in tags.items():
        visitor.get(path, headers={"If-None-Match": tag}, status=304)

    admin = app_on(cache_app, db_connection)
    login(admin, make_user("admin").email)
    tags = {path: assert_public(visitor.get(path)) for path in paths}  # signing in moved nothing
    form = admin.get("/suppliers/new").forms[0]
    form["name"] = "Cached Page Testing Ltd"
    assert form.submit().maybe_follow().status_int == 200

    for path, tag in tags.items():
        fresh = visitor.get(path, headers={"If-None-Match": tag}, status=200)
        assert assert_public(fresh) != tag
    assert "Cached Page Testing Ltd" in visitor.get("/suppliers?q=Cached").text


def test_a_committed_write_outside_the_app_moves_the_tag(
    visitor: webtest.TestApp, db_session: Session
) -> None:
    tag = assert_public(visitor.get("/suppliers"))
    visitor.get("/suppliers", headers={"If-None-Match": tag}, status=304)
    Registry(db_session)
    db_session.commit()
    visitor.get("/suppliers", headers={"If-None-Match": tag}, status=200)


def test_the_sign_in_page_sets_the_cookie_and_is_not_public(visitor: webtest.TestApp) -> None:
    page = visitor.get("/login")
    assert "registry_session=" in page.headers["Set-Cookie"]
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in page.headers
    # A visitor's other pages set none, and the search form (a GET) asks for no token.
    fresh = visitor.__class__(visitor.app, extra_environ=visitor.extra_environ)
    for path in ("/", "/suppliers", "/search?q=x", "/frameworks"):
        assert "Set-Cookie" not in fresh.get(path).headers, path


def test_signed_in_pages_are_private_and_never_304(
    visitor: webtest.TestApp, cache_app: Any, db_connection: Connection, make_user: Any
) -> None:
    tag = assert_public(visitor.get("/suppliers"))
    user = app_on(cache_app, db_connection)
    login(user, make_user("officer").email)
    for path in ("/", "/suppliers"):
        page = user.get(path, headers={"If-None-Match": "*"}, status=200)
        assert page.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in page.headers
    page = user.get("/suppliers", headers={"If-None-Match": tag}, status=200)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_posts_and_api_tokens_are_never_answered_from_the_cache(visitor: webtest.TestApp) -> None:
    tag = assert_public(visitor.get("/api/v1/suppliers"))
    token = visitor.get(
        "/api/v1/suppliers",
        headers={"If-None-Match": tag, "Authorization": "Bearer not-a-token"},
        expect_errors=True,
    )
    assert token.status_int != 304
    assert "public" not in token.headers.get("Cache-Control", "")
    post = visitor.post("/search", headers={"If-None-Match": "*"}, expect_errors=True)
    assert post.status_int != 304


@pytest.mark.parametrize("path", ["/suppliers/999999", "/no-such-page", "/markets/cpv-00000"])
def test_error_pages_are_not_public(visitor: webtest.TestApp, path: str) -> None:
    page = visitor.get(path, status=404)
    assert "public" not in page.headers.get("Cache-Control", "")
    assert "ETag" not in page.headers
    visitor.get(path, headers={"If-None-Match": "*"}, status=404)


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
LINK = re.compile(r'href="(/[^"#]*)"')


def test_no_inline_script_on_any_public_page_of_the_seeded_app(
    seeded_webtest_app: webtest.TestApp,
) -> None:
    """Walk the seeded registry's public pages from the home page: every script is a file, the
    policy names no nonce, and every page is public and sets no cookie."""
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen or path.startswith(("/static/", "/assets/", "/govuk/", "/login", "/data/")):
            continue
        seen.add(path)
        page = seeded_webtest_app.get(path)
        assert page.status_int == 200, path
        assert "nonce" not in page.headers["Content-Security-Policy"], path
        assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"], path
        assert_public(page, DEFAULT_MAX_AGE)
        if page.content_type != "text/html":
            continue
        scripts = SCRIPT.findall(page.text)
        assert scripts, path
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), f"{path}: inline script {body!r}"
        queue.extend(link.replace("&amp;", "&") for link in LINK.findall(page.text))
    assert len(seen) >= 30


@pytest.fixture(scope="module")
def market_cache_app(app_settings: dict[str, Any]) -> Iterator[Any]:
    config = configure(dict(app_settings, **{"registry.markets.cache_seconds": "300"}))
    yield config.make_wsgi_app()
    config.registry["sqlalchemy.engine"].dispose()


def test_a_market_page_kept_in_the_process_is_redrawn_after_a_write(
    market_cache_app: Any, db_connection: Connection, db_session: Session
) -> None:
    """Market figures kept in the process for five minutes are kept per data version: a page
    whose new ETag says it is current never shows the figures from before the write."""
    visitor = app_on(market_cache_app, db_connection)
    registry = Registry(db_session)
    db_session.commit()
    path = f"/markets/cpv-{CPV[:5]}"
    before = visitor.get(path)
    tag = before.headers["ETag"]
    registry.grow()
    db_session.commit()
    after = visitor.get(path, headers={"If-None-Match": tag}, status=200)
    assert after.headers["ETag"] != tag
    assert after.text != before.text, "the figures include the contracts just added"


def test_revalidation_reads_the_version_from_the_pool_and_sees_a_write_at_once(
    database_factory: DatabaseFactory,
    app_settings: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As served (no test connection handed in): the 304 reads the version on a pooled driver
    connection, keeps it a second, and a write made in this process is seen at once."""
    url = database_factory.fresh()
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)  # the app's own database: url
    config = configure(dict(app_settings, **{"sqlalchemy.url": url}))
    try:
        app = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
        tag = assert_public(app.get("/suppliers"), DEFAULT_MAX_AGE)
        app.get("/suppliers", headers={"If-None-Match": tag}, status=304)
        engine = config.registry["sqlalchemy.engine"]
        with Session(engine) as db:
            db.add(SupplierGroup(name="Written Meanwhile"))
            db.commit()
        fresh = app.get("/suppliers", headers={"If-None-Match": tag}, status=200)
        assert assert_public(fresh, DEFAULT_MAX_AGE) != tag
        app.get("/suppliers", headers={"If-None-Match": fresh.headers["ETag"]}, status=304)
    finally:
        config.registry["sqlalchemy.engine"].dispose()


@pytest.mark.parametrize("raw", ["-1", "five minutes"])
def test_a_bad_max_age_stops_start_up_naming_the_setting(
    app_settings: dict[str, Any], raw: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("registry.cache.max_age")):
        configure(dict(app_settings, **{"registry.cache.max_age": raw}))
