"""Under the real CSP (no nonce, no inline script, issue 21), GOV.UK Frontend's script files run
on a public page: the body gets its js-enabled classes and the browser reports no violation."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer


def test_scripts_run_under_the_strict_policy_on_a_public_page(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url)  # the CSP enforced
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console", lambda m: refused.append(m.text) if "Content Security" in m.text else None
        )
        response = page.goto("/suppliers")
        assert response.headers["cache-control"].startswith("public, max-age=")
        assert "nonce" not in response.headers["content-security-policy"]
        classes = page.evaluate("document.body.className")
        assert "js-enabled" in classes and "govuk-frontend-supported" in classes
        assert refused == []
        assert context.cookies() == [], "a visitor gets no cookie"
    finally:
        context.close()
