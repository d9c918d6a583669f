"""Whole numbers read from a URL, a query string, a form or a setting: ASCII digits only, within
bounds, or nothing.

`str.isdigit()` and the regular expression `\\d` accept '²' and other Unicode digits, which `int()`
refuses (or, for Arabic-Indic digits, reads as a number nobody typed); and an id past the column's
range overflows the database driver. Every piece of request text that becomes an `int` goes
through `whole_number`, so none of that reaches a view as a 500.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
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


# --- Numbers a column can hold --------------------------------------------------------------
# A number past its column is an overflow in the driver (a 500) on PostgreSQL, and silently
# kept on SQLite. Every form field, API field and CSV column that writes a number to a column
# takes its bounds from that column's type (`column_bounds`), and names them when it refuses.

# What PostgreSQL's integer types hold (SQLite holds 64 bits; the registry keeps to PostgreSQL's).
_INTEGER_BITS = {sa.SmallInteger: 16, sa.BigInteger: 64, sa.Integer: 32}


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The numbers a field takes: from `minimum` to `maximum`, with at most `places` decimal
    places (0: whole numbers)."""

    minimum: Decimal
    maximum: Decimal
    places: int = 0

    def describe(self) -> str:
        """Like 'a whole number from 0 to 2,147,483,647' or 'a number from 0 to
        9,999,999,999,999,999.99, with at most 2 decimal places'."""
        if self.places == 0:
            return f"a whole number from {self.minimum:,} to {self.maximum:,}"
        places = "1 decimal place" if self.places == 1 else f"{self.places} decimal places"
        return f"a number from {self.minimum:,} to {self.maximum:,}, with at most {places}"

    def holds(self, value: Decimal | int) -> bool:
        """True when `value` is finite, within the bounds and has no more places than allowed."""
        number = Decimal(value)
        if not number.is_finite() or not self.minimum <= number <= self.maximum:
            return False
        return decimal_places(number) <= self.places

    def within(
        self, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None
    ) -> Bounds:
        """These bounds narrowed by the field's own rule (a percentage to 100, a term to 1,200
        months): never wider than the column."""
        low = self.minimum if minimum is None else max(self.minimum, Decimal(minimum))
        high = self.maximum if maximum is None else min(self.maximum, Decimal(maximum))
        return Bounds(low, high, self.places)


def decimal_places(number: Decimal) -> int:
    """How many decimal places `number` needs: 2 for 1.25 and for 1.250, 0 for 1E+3. Counted on
    its digits, not by arithmetic (which rounds to the context's 28 digits)."""
    _sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing)


def column_bounds(column: Any, minimum: Decimal | int | None = 0) -> Bounds:
    """The bounds of what `column` (a mapped attribute like `Contract.value_amount`) holds:
    an INTEGER to 2,147,483,647, a NUMERIC(18, 2) to 9,999,999,999,999,999.99. `minimum` is the
    field's floor (0 by default: counts, amounts and weights); None for the column's own."""
    kind = column.type if hasattr(column, "type") else column
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        if kind.precision is None or kind.scale is None:
            raise TypeError(f"{column} has no precision and scale: its bounds are unknown")
        places = int(kind.scale)
        top = Decimal(10) ** (kind.precision - places) - Decimal(1).scaleb(-places)
        bounds = Bounds(-top, top.quantize(Decimal(1).scaleb(-places)), places)
    else:
        bits = next((n for t, n in _INTEGER_BITS.items() if isinstance(kind, t)), None)
        if bits is None:
            raise TypeError(f"{column} is not an integer or decimal column")
        bounds = Bounds(Decimal(-(2 ** (bits - 1))), Decimal(2 ** (bits - 1) - 1))
    return bounds if minimum is None else bounds.within(minimum=minimum)


ID_BOUNDS = Bounds(Decimal(1), Decimal(MAX_ID))
