"""Pickers in a real browser (issue 18): on the seeded registry, the contract form takes "TPP",
"GP IT Futures" and "Lot 1"; with JavaScript its fields offer suggestions from
/api/v1/suggest/..., without it the plain form still works and a refusal lists the closest
matches. axe-core on every page visited."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import assert_accessible, follow
from tests.browser.test_trust_journeys import OFFICER, heading, main_text, seeded_live, sign_in

__all__ = ["seeded_live"]  # the fixture, shared with the trust journeys


def _options(page: Any, field: str) -> list[str]:
    return list(
        page.eval_on_selector_all(f"#{field}-suggestions option", "els => els.map(e => e.value)")
    )


def _wait_for_options(page: Any, field: str) -> list[str]:
    page.wait_for_function(f"document.querySelectorAll('#{field}-suggestions option').length > 0")
    return _options(page, field)


def _save(page: Any, title: str, supplier: str, lot: str) -> None:
    """Fill the contract form's title, supplier, framework (GP IT Futures) and lot; save."""
    page.get_by_label("Title").fill(title)
    page.locator("#supplier").fill(supplier)
    page.locator("#framework_reference").fill("GP IT Futures")
    page.locator("#lot_number").fill(lot)
    # Every seeded framework has ended and TPP is in remediation on GPITF: the officer says why.
    page.locator("#lifecycle_override").fill("Continuity of care while the successor is procured")
    follow(page, page.get_by_role("button", name="Save draft"))


def test_with_javascript_the_fields_suggest_records(page: Any, seeded_live: dict[str, Any]) -> None:
    sign_in(page, OFFICER)
    page.goto("/contracts/new")
    assert_accessible(page)

    page.locator("#supplier").press_sequentially("phoenix", delay=20)
    assert "TPP - The Phoenix Partnership (Leeds) Ltd" in _wait_for_options(page, "supplier")
    page.locator("#framework_reference").press_sequentially("gp it", delay=20)
    assert _wait_for_options(page, "framework_reference")[0] == "GPITF"
    page.locator("#framework_reference").fill("GP IT Futures")  # as picking the option does
    page.locator("#lot_number").focus()
    assert _wait_for_options(page, "lot_number") == ["1", "2"]
    assert_accessible(page)

    title = "Browser picker: GP clinical system"
    _save(page, title, "TPP", "Lot 1")
    assert title in heading(page), main_text(page)
    assert "TPP - The Phoenix Partnership" in main_text(page)
    assert "GP IT Futures" in main_text(page)
    assert_accessible(page)


def test_without_javascript_the_plain_form_works_and_lists_the_closest(
    browser: Any, live_server: Any, page: Any, seeded_live: dict[str, Any]
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    plain = context.new_page()
    plain.set_default_timeout(15_000)
    try:
        sign_in_plain(plain)
        plain.goto("/contracts/new")
        title = "Browser picker without JavaScript"
        _save(plain, title, "Phoenix", "Lot 7")
        summary = plain.locator(".govuk-error-summary").inner_text()
        assert "There is no supplier with number or name “Phoenix”" in summary
        assert "TPP - The Phoenix Partnership (Leeds) Ltd" in summary
        assert "Framework GPITF has no lot Lot 7" in summary
        assert _options(plain, "supplier") == []  # no script ran: nothing was fetched

        _save(plain, title, "TPP", "1")
        assert title in heading(plain), main_text(plain)
    finally:
        context.close()

    # The same refusal, checked by axe-core (which needs JavaScript to run).
    sign_in(page, OFFICER)
    page.goto("/contracts/new")
    page.get_by_label("Title").fill("Refused")
    page.locator("#supplier").fill("Phoenix")
    follow(page, page.get_by_role("button", name="Save draft"))
    assert "Did you mean" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)


def sign_in_plain(page: Any) -> None:
    from tests.conftest import TEST_PASSWORD

    page.goto("/login")
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))


def test_the_supplier_and_data_pages_show_their_summary_on_the_first_screen(
    page: Any, seeded_live: dict[str, Any]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/suppliers?q=TPP")
    follow(page, page.locator("main a", has_text="TPP - The Phoenix Partnership").first)
    for path, summary in ((page.url, "#supplier-summary"), ("/data", "#data-summary")):
        page.goto(path)
        box = page.locator(summary).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, (path, box)
        assert_accessible(page)
