"""registry.integers: what request text becomes a whole number, and what never does."""

from __future__ import annotations

import pytest
from webob.multidict import MultiDict

from registry.forms import Form, WholeNumberField
from registry.integers import MAX_ID, whole_number, year_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("007", 7),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past a PostgreSQL INTEGER id
        ("99999999999999999999999", None),
        ("9" * 5000, None),  # more digits than int() reads: refused before trying
        ("0" * 30 + "5", 5),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # int() reads Arabic-Indic 3 as 3: nobody typed that
        ("\uff11\uff12", None),  # full-width digits likewise
        ("-1", None),
        ("+1", None),
        ("1_000", None),  # int() accepts the underscore
        ("1e3", None),
        ("", None),
        (None, None),
    ],
)
def test_whole_number(text: str | None, expected: int | None) -> None:
    assert whole_number(text) == expected


def test_bounds() -> None:
    assert whole_number("5", minimum=1, maximum=5) == 5
    assert whole_number("6", minimum=1, maximum=5) is None
    assert whole_number("0", minimum=1) is None
    assert year_number("2024") == 2024
    assert year_number("1899") is None
    assert year_number("99999") is None


class _Form(Form):
    count = WholeNumberField("Count", maximum=100, invalid_value_message="Count: 0 to 100")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("101", "Count must be a whole number from 0 to 100"),
        ("99999999999999999999", "Count must be a whole number from 0 to 100"),
        ("-1", "Count must be a whole number from 0 to 100"),
        ("\u00b2", "Count must be a whole number from 0 to 100"),
        ("\u0663", "Count must be a whole number from 0 to 100"),
        ("1_0", "Count must be a whole number from 0 to 100"),
        ("abc", "Count must be a whole number from 0 to 100"),
    ],
)
def test_the_form_field_refuses_with_its_message(text: str, message: str) -> None:
    form = _Form(MultiDict({"count": text}))
    assert not form.validate()
    assert form.count.errors == [message]
    assert form.count.data is None


def test_a_lower_bound_is_named() -> None:
    class Numbered(Form):
        number = WholeNumberField("Supplier number (optional)", minimum=1)

    form = Numbered(MultiDict({"number": "0"}))
    assert not form.validate()
    assert form.number.errors == ["Supplier number must be a whole number from 1 to 2,147,483,647"]


def test_the_form_field_reads_a_number_and_leaves_an_empty_box_empty() -> None:
    form = _Form(MultiDict({"count": " 42 "}))
    assert form.validate() and form.count.data == 42
    form = _Form(MultiDict({"count": ""}))
    assert form.count.data is None
