"""Whole numbers read from a URL, a query string, a form or a setting: ASCII digits only, within
bounds, or nothing.

`str.isdigit()` and the regular expression `\\d` accept '²' and other Unicode digits, which `int()`
refuses (or, for Arabic-Indic digits, reads as a number nobody typed); and an id past the column's
range overflows the database driver. Every piece of request text that becomes an `int` goes
through `whole_number`, so none of that reaches a view as a 500.
"""

from __future__ import annotations

import re
from typing import TypeVar

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from sqlalchemy.orm import Session

M = TypeVar("M")

# Route patterns use this for numeric placeholders, never `\d` (which matches '²').
DIGITS = "[0-9]+"
_DIGITS = re.compile(DIGITS)
# Record ids are INTEGER columns: 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1


def whole_number(text: str | None, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """`text` (spaces around it allowed) as an int when it is ASCII digits from `minimum` to
    `maximum`; None for anything else, including no text."""
    if text is None:
        return None
    text = text.strip()
    # The length check first: int() of a 5,000-digit string is refused, and slow to try.
    if not _DIGITS.fullmatch(text) or len(text.lstrip("0")) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def record_id(request: Request, name: str = "id") -> int:
    """A record's id from the URL: 404 (no such record) when it cannot be one."""
    value = whole_number(request.matchdict.get(name), minimum=1)
    if value is None:
        raise HTTPNotFound("There is no such record: check the number in the web address.")
    return value


# A year a filter or an address may name: within what datetime.date can hold, and the data.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def year_number(text: str | None) -> int | None:
    """A year like 2024, from FIRST_YEAR to LAST_YEAR; None otherwise."""
    return whole_number(text, FIRST_YEAR, LAST_YEAR)


def record_by_number(db: Session, model: type[M], text: str | None) -> M | None:
    """The record of `model` whose id someone typed (a form box, a filter); None when the text
    is not a number in the id column's range, or no record has it."""
    number = whole_number(text, minimum=1)
    return db.get(model, number) if number is not None else None
