"""Doing things through the site as its users do, for tests that follow a write to the pages."""

from __future__ import annotations

import webtest


def form_posting_to(page: webtest.TestResponse, action: str) -> webtest.Form:
    """The page's form that posts to `action` (the layout may hold other forms)."""
    for form in page.forms.values():
        if (form.action or "").endswith(action):
            return form
    raise AssertionError(f"no form posting to {action}")


def merge_on_site(app: webtest.TestApp, merged_id: int, survivor_id: int) -> None:
    """Merge one supplier record into another through the merge form (signed in as an admin)."""
    form = app.get(f"/suppliers/{merged_id}/merge").forms[0]
    form["survivor"] = str(survivor_id)
    form["reason"] = "The same company"
    form.submit().follow()
