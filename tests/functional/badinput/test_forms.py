"""Every form the app serves, fed rubbish in every field: a 4xx or a redirect, never a 5xx; the
script never comes back unescaped; refused input writes no row in any table. And every number
and date field fed numbers no column holds (10^20, 400 digits, -10^20, NaN, Infinity, -Infinity) and
dates no calendar has: each answers with a message naming it (and, for a number, its range),
linked from the error summary, and nothing is written.

Forms are found by fetching every GET route (as an admin, who may see every form, and the sign-in
page as a visitor), so a form added by any feature is covered without editing this file.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.common import access
from tests.functional.badinput.corpus import BAD_DATES, BAD_VALUES, OUT_OF_RANGE, SCRIPT
from tests.functional.badinput.found import FoundForm

# Tables a refused request may still write: a failed sign-in is itself an accountable event.
REFUSED_MAY_WRITE = {
    "/login": {"audit_events", "audit_chain_head", "login_attempts"},
    # A refused import leaves its import ledger entry (issue 11), and nothing else.
    "/data/import": {"import_runs"},
}


def written_by_refusal(
    planting: access.Planting, form: FoundForm, before: dict[str, int], where: str
) -> list[str]:
    """The tables a refused submission wrote to (beyond what a refusal may write)."""
    after = planting.row_counts()
    allowed = REFUSED_MAY_WRITE.get(form.action, set())
    written = {t for t in after if after[t] != before[t] and t not in allowed}
    return [f"{where} but wrote to {sorted(written)}"] if written else []


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
                problems += written_by_refusal(
                    planting, form, before, f"{where}: refused ({status})"
                )
        finally:
            nested.rollback()
    assert problems == [], f"{kind}:\n" + "\n".join(problems)


RANGE = re.compile(r"must be a (whole )?number from -?[0-9,.]+ to [0-9,.]+")


def test_number_and_date_fields_are_found(forms: list[FoundForm]) -> None:
    numbers = {(f.action, name) for f in forms for name, _ in f.of_kind("number")}
    dates = {(f.action, name) for f in forms for name, _ in f.of_kind("date")}
    assert ("/contracts/new", "value_amount") in numbers
    assert ("/contracts/new", "number_of_tenderers") in numbers
    assert any(name == "kpi_target" for _, name in numbers)  # the obligation form of issue 19
    assert any(name == "weight" for _, name in numbers)
    assert ("/contracts/new", "award_date") in dates
    assert len(numbers) >= 10 and len(dates) >= 10


def error_for(response: Any, field_id: str) -> str:
    """The message shown beside the field (GOV.UK: `#<id>-error`), if the summary links to it."""
    if f'href="#{field_id}"' not in response.text:
        return ""
    shown = response.html.select_one(f"#{field_id}-error")
    return " ".join(shown.get_text().split()) if shown is not None else ""


SPREAD = 3


def submissions() -> list[tuple[str, str]]:
    return [("number", v) for v in OUT_OF_RANGE] + [("date", v) for v in BAD_DATES]


@pytest.mark.parametrize(("kind", "case"), submissions())
def test_numbers_and_dates_no_column_holds_are_refused_by_name(
    planting: access.Planting, forms: list[FoundForm], kind: str, case: str
) -> None:
    """Every form with a field of the kind gets the value in every field it shows (its hidden
    fields as given). The forms with none may take it as text, but never answer 5xx: to keep the
    corpus fast each of them gets every third value (SPREAD), every value reaching a third."""
    bad = OUT_OF_RANGE[case] if kind == "number" else BAD_DATES[case]
    turn = submissions().index((kind, case)) % SPREAD
    problems = []
    before = planting.row_counts()
    for number, form in enumerate(forms):
        targets = form.of_kind(kind) if form.method == "POST" else []
        if not targets and number % SPREAD != turn:
            continue
        where = f"{form.method} {form.action} (form on {form.page})"
        nested = planting.connection.begin_nested()
        try:
            response = form.submit(bad, keep_hidden=True)
            status = response.status_int
            if status >= 500 or (targets and status not in (200, 400, 422)):
                problems.append(f"{where}: wanted the form with its errors, got {response.status}")
                continue
            for name, field in targets:
                message = error_for(response, field.id or name)
                if not message:
                    problems.append(f"{where}: {name}={bad[:20]} shows no error of its own")
                elif kind == "number" and not RANGE.search(message):
                    problems.append(f"{where}: {name}={bad[:20]}: no range in {message!r}")
            if targets or status >= 400:
                problems += written_by_refusal(planting, form, before, f"{where}: refused")
        finally:
            nested.rollback()
    assert problems == [], f"{kind} {bad[:20]}:\n" + "\n".join(problems)


@pytest.mark.parametrize("field", ["kpi_target", "weight", "supplier_id"])
def test_a_huge_number_in_an_otherwise_good_obligation_is_refused_by_name(
    planting: access.Planting, forms: list[FoundForm], field: str
) -> None:
    """Issue 19's 500: an admin's obligation with 99999999999999999999 in a number field."""
    form = next(f for f in forms if f.action.endswith("/obligations/new"))
    good = {"category": "security", "title": "DSPT standards met", "weight": "1"}
    nested = planting.connection.begin_nested()
    try:
        before = planting.row_counts()
        refused = form.client.post(
            form.action, {**good, field: "99999999999999999999", "csrf_token": form.client.csrf}
        )
        assert refused.status_int == 400, refused.status
        assert RANGE.search(error_for(refused, field)), error_for(refused, field)
        assert planting.row_counts() == before
        # The same obligation with a number its column holds is taken: the bound refused it.
        taken = form.client.post(form.action, {**good, "csrf_token": form.client.csrf})
        assert taken.status_int == 303, error_for(taken, field) or taken.status
    finally:
        nested.rollback()
