"""Every form the app serves, fed rubbish in every field: a 4xx or a redirect, never a 5xx; the
script never comes back unescaped; refused input writes no row in any table.

Forms are found by fetching every GET route (as an admin, who may see every form, and the sign-in
page as a visitor), so a form added by any feature is covered without editing this file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import webtest
from webtest.forms import File, Submit

from tests.common import access
from tests.functional.badinput.corpus import BAD_VALUES, SCRIPT

# Tables a refused request may still write: a failed sign-in is itself an accountable event.
REFUSED_MAY_WRITE = {
    "/login": {"audit_events", "audit_chain_head", "login_attempts"},
    # A refused import leaves its import ledger entry (issue 11), and nothing else.
    "/data/import": {"import_runs"},
}


class FoundForm:
    def __init__(self, page: str, client: access.Client, form: webtest.Form) -> None:
        self.page = page
        self.client = client
        self.method = (form.method or "GET").upper()
        self.action = urlsplit(form.action or page).path or page
        self.fields: list[tuple[str, Any]] = [
            (name, field)
            for name, fields in form.fields.items()
            for field in fields[:1]
            if name and not isinstance(field, Submit)
        ]

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, self.action, tuple(sorted(n for n, _ in self.fields)))

    @property
    def has_file(self) -> bool:
        return any(isinstance(f, File) for _, f in self.fields)

    def submit(self, bad: str | bytes) -> webtest.TestResponse:
        pairs: list[tuple[str, str | bytes]] = []
        files = []
        for name, field in self.fields:
            if name == "csrf_token":
                pairs.append((name, self.client.csrf))
            elif isinstance(field, File):
                content = bad if isinstance(bad, bytes) else bad.encode()
                files.append((name, "bad.csv", content))
            elif self.has_file and isinstance(bad, bytes):
                pairs.append((name, field.value or ""))  # multipart: the bytes go in the file
            else:  # text, selects, checkboxes and hidden fields alike: the server must cope
                pairs.append((name, bad))
        if self.method == "GET":
            return self.client.get(self.action + "?" + urlencode(pairs))
        if files:
            return self.client.post(self.action, [(n, v) for n, v in pairs], upload_files=files)
        return self.client.post(
            self.action,
            urlencode(pairs).encode("ascii"),
            content_type="application/x-www-form-urlencoded",
        )


@pytest.fixture(scope="module")
def forms(planting: access.Planting) -> list[FoundForm]:
    found: dict[Any, FoundForm] = {}
    pages = [("anonymous", "/login")]
    for view in access.route_views():
        if view.method == "GET" and not view.token_api and view.route != "accounts.logout":
            try:
                _label, params = access.variants(view, planting.planted)[0]
            except access.UnfillableRoute:
                continue  # the access matrix names it
            pages.append(("admin", access.fill(view.pattern, params)))
    for role, page in pages:
        client = planting.clients[role]
        response = client.get(page)
        if response.status_int != 200 or "html" not in response.content_type:
            continue
        for form in response.forms.values():
            candidate = FoundForm(page, client, form)
            if candidate.fields and candidate.key not in found:
                found[candidate.key] = candidate
    return list(found.values())


def test_forms_are_found(forms: list[FoundForm]) -> None:
    actions = {f.action for f in forms if f.method == "POST"}
    assert "/login" in actions
    assert "/contracts/new" in actions
    assert "/frameworks/new" in actions
    assert len(actions) >= 20


@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_bad_input_in_every_form(
    planting: access.Planting, forms: list[FoundForm], kind: str
) -> None:
    bad = BAD_VALUES[kind]
    problems = []
    before = planting.row_counts()  # each submission is rolled back to this
    for form in forms:
        where = f"{form.method} {form.action} (form on {form.page})"
        nested = planting.connection.begin_nested()
        try:
            response = form.submit(bad)
            status = response.status_int
            if status >= 500:
                problems.append(f"{where}: {response.status}")
                continue
            if form.method == "POST" and not (300 <= status < 500):
                problems.append(f"{where}: wanted a 4xx or a redirect, got {response.status}")
            shown = response
            if kind == "script" and 300 <= status < 400 and not access.is_login_redirect(response):
                shown = form.client.app.get(response.headers["Location"], status="*")
            if SCRIPT in shown.text:
                problems.append(f"{where}: the script is rendered unescaped")
            if status >= 400:
                after = planting.row_counts()
                allowed = REFUSED_MAY_WRITE.get(form.action, set())
                written = {t for t in after if after[t] != before[t] and t not in allowed}
                if written:
                    problems.append(f"{where}: refused ({status}) but wrote to {sorted(written)}")
        finally:
            nested.rollback()
    assert problems == [], f"{kind}:\n" + "\n".join(problems)
