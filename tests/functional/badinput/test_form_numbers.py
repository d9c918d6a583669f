"""Every form's number and date fields fed numbers no column holds (10^20, 400 digits, 1e400,
-10^20, NaN, Infinity) and dates no calendar has: never a 5xx; each number field answers with a
message that names it and its range, each date field with its own message, linked from the error
summary; and nothing is written.

The forms and their fields are found from the pages themselves (number fields carry `inputmode`,
date fields `type="date"`), so a field added by any feature is covered without editing this file.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.common import access
from tests.functional.badinput.corpus import BAD_DATES, OUT_OF_RANGE
from tests.functional.badinput.found import FoundForm
from tests.functional.badinput.test_forms import REFUSED_MAY_WRITE

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


def submissions() -> list[tuple[str, str]]:
    return [("number", v) for v in OUT_OF_RANGE] + [("date", v) for v in BAD_DATES]


@pytest.mark.parametrize(("kind", "case"), submissions())
def test_numbers_and_dates_no_column_holds_are_refused_by_name(
    planting: access.Planting, forms: list[FoundForm], kind: str, case: str
) -> None:
    bad = OUT_OF_RANGE[case] if kind == "number" else BAD_DATES[case]
    problems = []
    before = planting.row_counts()
    for form in forms:
        targets = form.of_kind(kind)
        if form.method != "POST" or not targets:
            continue
        where = f"{form.action} (form on {form.page})"
        nested = planting.connection.begin_nested()
        try:
            response = form.submit(bad, keep_hidden=True)
            if response.status_int not in (200, 400, 422):
                problems.append(f"{where}: wanted the form with its errors, got {response.status}")
                continue
            for name, field in targets:
                message = error_for(response, field.id or name)
                if not message:
                    problems.append(f"{where}: {name}={bad[:20]} shows no error of its own")
                elif kind == "number" and not RANGE.search(message):
                    problems.append(f"{where}: {name}={bad[:20]}: no range in {message!r}")
            after = planting.row_counts()
            allowed = REFUSED_MAY_WRITE.get(form.action, set())
            written = {t for t in after if after[t] != before[t] and t not in allowed}
            if written:
                problems.append(f"{where}: refused but wrote to {sorted(written)}")
        finally:
            nested.rollback()
    assert problems == [], f"{kind} {bad[:20]}:\n" + "\n".join(problems)
