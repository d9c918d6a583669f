"""Reading a CSV file: UTF-8 only, a header naming the columns, every cell parsed by its column."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.csvimport.columns import COLUMNS, CellError
from registry.sql import in_chunks

# Lookups go to the database in chunks: SQLite and PostgreSQL both cap bound parameters.


@dataclasses.dataclass
class Row:
    line: int
    values: dict[str, Any]


class Problems:
    """Every problem found, as FILE:LINE: column NAME: message."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[str] = []

    def add(self, line: int, column: str, message: str) -> None:
        self.items.append(f"{self.filename}:{line}: column {column}: {message}")

    def add_line(self, line: int, message: str) -> None:
        self.items.append(f"{self.filename}:{line}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


def decode(data: bytes, problems: Problems) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add_line(
            line,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read): "
            "save it as 'CSV UTF-8' and try again",
        )
        return None


def read_rows(data: bytes, kind: str, problems: Problems) -> list[Row]:
    """Parse every row; report every bad header, row and cell. Blank lines are skipped."""
    text = decode(data, problems)
    if text is None:
        return []
    columns = {column.name: column for column in COLUMNS[kind]}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add_line(1, f"the header row cannot be read as CSV: {exc}")
        return []
    if not header or not any(cell.strip() for cell in header):
        problems.add_line(1, "the file is empty: the first row must name the columns")
        return []
    names = [cell.strip().lower() for cell in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.add(1, name, "the column is named twice in the header")
        seen.add(name)
        if name not in columns:
            problems.add(
                1, name or "(empty)", f"unknown column; the {kind} columns are {', '.join(columns)}"
            )
    for column in columns.values():
        if column.required and column.name not in seen:
            problems.add(1, column.name, "required column is missing from the header")

    rows: list[Row] = []
    line = 1
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                problems.add_line(
                    start, f"the row has {len(cells)} values but the header has {len(names)}"
                )
                continue
            values: dict[str, Any] = {}
            given = dict(zip(names, cells, strict=True))
            for column in columns.values():
                try:
                    values[column.name] = column.parse(given.get(column.name, ""))
                except CellError as exc:
                    if column.name in given:  # a missing column was reported once, above
                        problems.add(start, column.name, str(exc))
                    values[column.name] = None
            rows.append(Row(start, values))
    except csv.Error as exc:
        problems.add_line(reader.line_num, f"the row cannot be read as CSV: {exc}")
    return rows


def fetch_in(
    db: Session, make_query: Callable[[list[Any]], sa.Executable], values: Iterable[Any]
) -> list[Any]:
    """Run `make_query(chunk)` over the distinct values in chunks; all the result rows."""
    distinct = sorted(set(values), key=str)
    rows: list[Any] = []
    for chunk in in_chunks(distinct):
        rows.extend(db.execute(make_query(list(chunk))).all())
    return rows
