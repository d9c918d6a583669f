"""Every form the app serves, fed rubbish in every field: a 4xx or a redirect, never a 5xx; the
script never comes back unescaped; refused input writes no row in any table.

Forms are found by fetching every GET route (as an admin, who may see every form, and the sign-in
page as a visitor), so a form added by any feature is covered without editing this file.
"""

from __future__ import annotations

import pytest

from tests.common import access
from tests.functional.badinput.corpus import BAD_VALUES, SCRIPT
from tests.functional.badinput.found import FoundForm

# Tables a refused request may still write: a failed sign-in is itself an accountable event.
REFUSED_MAY_WRITE = {
    "/login": {"audit_events", "audit_chain_head", "login_attempts"},
    # A refused import leaves its import ledger entry (issue 11), and nothing else.
    "/data/import": {"import_runs"},
}


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
