"""The base form and the validators every feature's forms share."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import wtforms
from pyramid.config import Configurator
from pyramid.events import NewRequest
from pyramid.request import Request
from webob.multidict import MultiDict
from wtforms import validators

from registry.integers import MAX_ID, Bounds, column_bounds, whole_number

_NOT_ASCII = re.compile("[^\x21-\x7e]+")
# A field longer than this is refused rather than truncated.
MAX_TEXT = 10_000


class Form(wtforms.Form):
    """Forms take the request's POST data; `form_errors` holds errors not tied to one field."""

    def __init__(self, formdata: MultiDict | None = None, **kwargs: Any) -> None:
        super().__init__(formdata=formdata, **kwargs)
        self.form_errors: list[str] = []

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return valid and not self.form_errors

    def add_errors(self, errors: list[tuple[str, str]]) -> None:
        """Put a service's (field name, message) problems on the fields they name; a problem
        that names no field of this form goes in `form_errors`, above the fields."""
        for name, message in errors:
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, message]
            else:
                self.form_errors.append(message)

    def add_other_errors(self, errors: list[tuple[str, str]]) -> None:
        """Add a service's problems the form has not already found (a field it refused keeps
        its own message), so every problem shows in one round."""
        for name, message in errors:
            field = self._fields.get(name)
            if field is not None and not field.errors:
                field.errors = [*field.errors, message]
            elif field is None and message not in self.form_errors:
                self.form_errors.append(message)

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the GOV.UK error summary, in field order."""
        pairs = [("", message) for message in self.form_errors]
        for field in self:
            pairs.extend((field.id, message) for message in field.errors)
        return pairs


def field_name(field: wtforms.Field) -> str:
    """The field as a message names it: its `subject` when given, else its label without the
    part in brackets ("Value (optional)" is "Value")."""
    return getattr(field, "subject", None) or re.sub(r"\s*\(.*\)$", "", str(field.label.text))


class WholeNumberField(wtforms.IntegerField):
    """A whole number in ASCII digits within what `column` holds (by default, a record id), or
    narrower by `minimum` and `maximum`: '²', '1_000', '-3', NaN or a number past the column are
    refused with a message naming the field and the range, never passed on to overflow the
    database."""

    def __init__(
        self,
        *args: Any,
        column: Any = None,
        minimum: int = 0,
        maximum: int | None = None,
        subject: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        base = column_bounds(column) if column is not None else Bounds(Decimal(0), Decimal(MAX_ID))
        self.bounds = base.within(minimum, maximum)
        self.subject = subject

    @property
    def minimum(self) -> int:
        return int(self.bounds.minimum)

    @property
    def maximum(self) -> int:
        return int(self.bounds.maximum)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        self.data = whole_number(text, self.minimum, self.maximum)
        if self.data is None and text:
            raise ValueError(f"{field_name(self)} must be {self.bounds.describe()}")


class NumberField(wtforms.DecimalField):
    """A decimal within what `column` holds (or narrower by `minimum` and `maximum`; the floor is
    0 unless `minimum=None`), forgiving the ways people write amounts ("£1,200,000.00"). NaN,
    Infinity, a number past the column or with more decimal places than it keeps is refused with
    a message naming the field and the range; text that is no number, with the field's
    `invalid_value_message`."""

    def __init__(
        self,
        *args: Any,
        column: Any,
        minimum: Decimal | int | None = 0,
        maximum: Decimal | int | None = None,
        subject: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("places", None)  # shown as typed or stored, never rounded
        super().__init__(*args, **kwargs)
        self.bounds = column_bounds(column, minimum).within(maximum=maximum)
        self.subject = subject

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = re.sub(r"[£$€,\s]", "", str(valuelist[0]))
        self.data = None
        if not text:
            return
        range_message = f"{field_name(self)} must be {self.bounds.describe()}"
        try:
            # The length check first: past the column's digits it cannot be in range anyway.
            value = Decimal(text) if len(text) <= 100 else None
        except InvalidOperation:
            raise ValueError(self.invalid_value_message or range_message) from None
        if value is None or not self.bounds.holds(value):
            raise ValueError(range_message)
        self.data = value


def required(name: str) -> validators.InputRequired:
    return validators.InputRequired(message=f"Enter {name}")


def length(name: str, maximum: int, minimum: int = 0) -> validators.Length:
    if minimum:
        message = f"{name.capitalize()} must be between {minimum} and {maximum} characters"
    else:
        message = f"{name.capitalize()} must be {maximum} characters or fewer"
    return validators.Length(min=minimum, max=maximum, message=message)


def optional_text(
    label: str, name: str, maximum: int, *, description: str = "", area: bool = False
) -> Any:
    """A text field that may be left empty, refused (naming the field) past `maximum` characters;
    `area` for a multi-line box."""
    field = wtforms.TextAreaField if area else wtforms.StringField
    return field(
        label, validators=[validators.Optional(), length(name, maximum)], description=description
    )


class Pattern:
    """A regular-expression check whose message names the field and the expected form."""

    def __init__(self, pattern: str, message: str) -> None:
        self.regex = re.compile(pattern)
        self.message = message

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        if field.data and not self.regex.fullmatch(str(field.data).strip()):
            raise validators.ValidationError(self.message)


def safe_next_url(value: str | None, default: str = "/") -> str:
    """Only same-site paths: never a scheme, host or protocol-relative URL."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):  # browsers drop tabs: "/\t/evil"
        return default
    # A Location header is Latin-1: spaces and characters past ASCII go percent-encoded in UTF-8, as a
    # browser sends them; a lone surrogate (no UTF-8 at all) means the default.
    try:
        return _NOT_ASCII.sub(lambda found: quote(found.group()), value)
    except UnicodeEncodeError:
        return default


def close_uploads(request: Request) -> None:
    """Close the temporary files webob made for a large body and its uploads once the request
    is done. webob leaves them to the garbage collector, which may reach them long after (and,
    with the importer holding collections back, in another request)."""
    parsed = request.environ.get("webob._parsed_post_vars")
    for value in parsed[0].values() if parsed else ():
        upload = getattr(value, "file", None)
        if upload is not None:
            upload.close()
    body = request.environ.get("wsgi.input")
    # webob's own copy of a body too large to keep in memory (the server's stream is not this).
    if request.environ.get("webob.is_body_seekable") and isinstance(body, io.BufferedRandom):
        body.close()


def _close_uploads_when_finished(event: NewRequest) -> None:
    event.request.add_finished_callback(close_uploads)


def includeme(config: Configurator) -> None:
    config.add_subscriber(_close_uploads_when_finished, NewRequest)
