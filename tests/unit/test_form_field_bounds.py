"""Every number and date field of every form in the registry, found by walking the form classes:
a number field is bounded by what its column holds, and a number past it, below it, NaN or
Infinity is refused with a message naming the field and the range; a date no calendar has is
refused with a message naming the field. A field added by any feature is covered here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import wtforms
from webob.multidict import MultiDict

from registry.forms import NumberField, WholeNumberField, field_name
from tests.common.formfields import fields_of, form_classes, kind_of
from tests.functional.badinput.corpus import BAD_DATES, NEGATIVE, OUT_OF_RANGE

FIELDS = [
    (f"{cls.__module__}.{cls.__qualname__}.{name}", field)
    for cls in form_classes()
    for name, field in fields_of(cls).items()
]
NUMBERS = [(where, field) for where, field in FIELDS if kind_of(field) == "number"]
DATES = [(where, field) for where, field in FIELDS if kind_of(field) == "date"]


def test_the_form_fields_are_found() -> None:
    where = {w.rsplit(".", 2)[-2] + "." + w.rsplit(".", 1)[-1] for w, _ in NUMBERS}
    assert {"ContractForm.value_amount", "ObligationForm.kpi_target"} <= where
    assert {"ObligationForm.weight", "ContractForm.number_of_tenderers"} <= where
    assert len(NUMBERS) >= 10 and len(DATES) >= 15


@pytest.mark.parametrize(("where", "unbound"), NUMBERS, ids=[w for w, _ in NUMBERS])
def test_every_number_field_is_bounded(where: str, unbound: Any) -> None:
    assert issubclass(unbound.field_class, (WholeNumberField, NumberField)), (
        f"{where} is a {unbound.field_class.__name__}: use WholeNumberField or NumberField "
        "(registry/forms.py), bounded by the column it is written to"
    )


def check(unbound: Any, name: str, value: str) -> tuple[Any, list[str]]:
    form = wtforms.Form()
    field = unbound.bind(form=form, name=name)
    field.process(form.meta.wrap_formdata(form, MultiDict({name: value})))
    field.validate(form)
    return field, list(field.errors)


@pytest.mark.parametrize(("where", "unbound"), NUMBERS, ids=[w for w, _ in NUMBERS])
def test_a_number_no_column_holds_is_refused_by_name_and_range(where: str, unbound: Any) -> None:
    name = where.rsplit(".", 1)[1]
    field, _ = check(unbound, name, "1")
    bounds = field.bounds
    wanted = f"{field_name(field)} must be {bounds.describe()}"
    cases = dict(OUT_OF_RANGE)
    if bounds.minimum > -1:
        cases["minus_one"] = NEGATIVE
    cases["one_past_the_top"] = str(bounds.maximum + (Decimal(1) if bounds.places == 0 else 1))
    for case, value in cases.items():
        field, errors = check(unbound, name, value)
        assert field.data is None, (case, field.data)
        assert wanted in errors, (case, errors)
    # The top and the floor themselves are taken.
    for value in (bounds.maximum, bounds.minimum):
        field, errors = check(unbound, name, str(value))
        assert errors == [] and field.data == value, (value, errors)


@pytest.mark.parametrize(("where", "unbound"), DATES, ids=[w for w, _ in DATES])
def test_a_date_no_calendar_has_is_refused_by_name(where: str, unbound: Any) -> None:
    name = where.rsplit(".", 1)[1]
    for case, value in BAD_DATES.items():
        field, errors = check(unbound, name, value)
        assert field.data is None, case
        assert len(errors) == 1 and field_name(field).lower() in errors[0].lower(), (case, errors)
