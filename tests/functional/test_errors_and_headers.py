from __future__ import annotations

from typing import Any

import webtest

from registry.config import configure


def test_not_found_page_is_in_house_style(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/no/such/page", status=404)
    assert "Page not found" in page.text
    assert "govuk-template" in page.text


def test_api_errors_are_json(webtest_app: webtest.TestApp) -> None:
    response = webtest_app.get("/api/v1/nothing-here", status=404)
    assert response.content_type == "application/json"
    assert response.json["error"]["status"] == 404
    assert "/api/v1/nothing-here" in response.json["error"]["message"]


def test_an_unhandled_error_shows_no_traceback(
    app_settings: dict[str, Any], db_connection: Any
) -> None:
    config = configure(dict(app_settings))

    def explode(request: Any) -> Any:
        raise RuntimeError("secret internals")

    config.add_route("explode", "/explode")
    config.add_view(explode, route_name="explode", permission="public:registry:read")
    app = webtest.TestApp(
        config.make_wsgi_app(), extra_environ={"registry.db_connection": db_connection}
    )
    try:
        page = app.get("/explode", status=500)
    finally:
        config.registry["sqlalchemy.engine"].dispose()
    assert "Sorry, there is a problem with the service" in page.text
    assert "secret internals" not in page.text
    assert "Traceback" not in page.text


def test_security_headers(webtest_app: webtest.TestApp) -> None:
    response = webtest_app.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    # No inline script, so no nonce: the page can be shared through caches (issue 21).
    assert "script-src 'self';" in csp
    assert "nonce" not in csp and "nonce" not in response.text
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_home_page_uses_govuk_frontend_without_crown(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/")
    assert "Supplier Accountability Registry" in page.text
    assert "govuk-skip-link" in page.text
    assert "govuk-phase-banner" in page.text
    assert "govuk-footer" in page.text
    assert "Crown copyright" not in page.text
    css = webtest_app.get("/static/dist/app.css")
    assert "GDS Transport" not in css.text
    assert "govuk-header" in css.text
    webtest_app.get("/govuk/govuk-frontend.min.js")
