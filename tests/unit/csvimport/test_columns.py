"""The column specs, the JSON Schemas documenting them, and how cells are read."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from registry.csvimport.columns import COLUMNS, KINDS, CellError, Column, column_schema

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "csv-import.md"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_file_matches_the_columns_the_importer_reads(kind: str) -> None:
    schema = json.loads((SCHEMAS / f"csv-{kind}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    # Regenerate with: python -c "from registry.csvimport.columns import column_schema; ..."
    assert schema == column_schema(kind)
    assert list(schema["properties"]) == [c.name for c in COLUMNS[kind]]


@pytest.mark.parametrize("kind", KINDS)
def test_every_column_is_documented_for_users(kind: str) -> None:
    text = DOCS.read_text()
    assert f"registry import csv {kind}" in text
    for column in COLUMNS[kind]:
        assert f"`{column.name}`" in text, column.name


@pytest.mark.parametrize(
    ("column", "raw", "value"),
    [
        (Column("d", "date", ""), "2024-02-29", datetime.date(2024, 2, 29)),
        (Column("n", "decimal", ""), "1,200,000.50", Decimal("1200000.50")),
        (Column("i", "integer", "", minimum=0), "0", 0),
        (Column("b", "boolean", ""), "Yes", True),
        (Column("b", "boolean", ""), "n", False),
        (Column("e", "enum", "", choices=("direct award",)), "Direct Award", "direct award"),
        (
            Column("l", "list", "", format="cpv"),
            "48000000; 72000000-8;",
            ["48000000", "72000000-8"],
        ),
        (Column("c", "string", "", format="companies-house-number"), "sc 123456", "SC123456"),
        (Column("x", "string", "", default=""), "  ", ""),
    ],
)
def test_cells_are_read(column: Column, raw: str, value: object) -> None:
    assert column.parse(raw) == value


@pytest.mark.parametrize(
    ("column", "raw", "message"),
    [
        (Column("d", "date", ""), "31/03/2024", "is not a date in the form YYYY-MM-DD"),
        (Column("d", "date", ""), "2024-3-1", "is not a date in the form YYYY-MM-DD"),
        (Column("n", "decimal", ""), "NaN", "must be a number from -99,999,999,999,999.9999 to"),
        (Column("i", "integer", "", minimum=0), "-1", "must be a whole number from 0 to 2,147,4"),
        (Column("i", "integer", "", minimum=0), "999999999999", "from 0 to 2,147,483,647"),
        (Column("i", "integer", "", minimum=0), "\u00b2", "is not a whole number"),
        (Column("s", "string", "", True), "", "a value is required"),
        (Column("s", "string", "", max_length=3), "abcd", "must be 3 characters or fewer"),
        (Column("u", "string", "", format="iso-4217"), "pounds", "is not an ISO 4217"),
    ],
)
def test_bad_cells_say_what_was_expected(column: Column, raw: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        column.parse(raw)
