"""Writing an open-data table (registry.opendata.export.Table) as CSV or JSON: each value made
plain, and every CSV text cell that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import datetime
import decimal
import enum
import io
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from registry.opendata.export import Table


def plain(value: Any) -> Any:
    """One JSON- and CSV-friendly value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def rows(db: Session, table: Table) -> Iterator[dict[str, Any]]:
    result = db.execute(table.select().execution_options(yield_per=1000))
    names = [c.name for c in table.columns]
    for row in result:
        values = dict(zip(names, row[: len(names)], strict=True))
        if table.derive is not None:
            values.update(table.derive(row))
        yield {name: plain(values[name]) for name in names}


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such a
# text cell is written with a single quote before it (the OWASP rule). A cell that is wholly a
# number ("-12.50", an amount) is left as it is: it is a number, not a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def neutralised(value: Any) -> Any:
    """A CSV cell's value, quoted when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(db: Session, table: Table, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    for row in rows(db, table):
        writer.writerow(
            [
                json.dumps(v)
                if isinstance(v, list | dict)
                else ("" if v is None else neutralised(v))
                for v in row.values()
            ]
        )


def write_json(db: Session, table: Table, out: TextIO) -> None:
    out.write("[")
    for i, row in enumerate(rows(db, table)):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")


def csv_text(db: Session, table: Table) -> str:
    out = io.StringIO()
    write_csv(db, table, out)
    return out.getvalue()


def json_text(db: Session, table: Table) -> str:
    out = io.StringIO()
    write_json(db, table, out)
    return out.getvalue()
