"""The column layout of each CSV kind, how each cell is read, and the JSON Schema that documents it.

The specs here are the single source: `schemas/csv-<kind>.schema.json` is generated from them
(`column_schema`), and a test fails if a schema file and its spec drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from registry.contracts.currencies import is_currency_code
from registry.contracts.models import Contract, ProcurementMethod
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    KPIDirection,
    Obligation,
    ObligationCategory,
)
from registry.identifiers import is_cpv_code, is_duns, normalise_companies_house_number
from registry.integers import Bounds, column_bounds
from registry.scoring.assessments.models import Assessment, Rating

KINDS = ("frameworks", "suppliers", "obligations", "contracts", "assessments")
LIST_SEPARATOR = ";"
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0"}


class CellError(ValueError):
    """A cell's value is not right; the message says what was expected."""


def _companies_house(value: str) -> str:
    number = normalise_companies_house_number(value)
    if number is None:
        raise CellError(
            f"{value!r} is not a Companies House number: 8 digits, or 2 letters and 6 digits"
        )
    return number


def _duns(value: str) -> str:
    if not is_duns(value):
        raise CellError(f"{value!r} is not a DUNS number: 9 digits")
    return value.replace("-", "").strip()


def _cpv(value: str) -> str:
    if not is_cpv_code(value):
        raise CellError(f"{value!r} is not a CPV code: 8 digits and an optional check digit")
    return value


def _currency(value: str) -> str:
    code = value.upper()
    if not is_currency_code(code):
        raise CellError(f"{value!r} is not an ISO 4217 currency code, like GBP")
    return code


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s]+", value):
        raise CellError(f"{value!r} is not a web address starting with http:// or https://")
    return value


FORMATS: dict[str, Callable[[str], str]] = {
    "companies-house-number": _companies_house,
    "duns": _duns,
    "cpv": _cpv,
    "iso-4217": _currency,
    "uri": _url,
}


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, decimal, date, boolean, enum, list
    description: str
    required: bool = False
    format: str | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | Decimal | None = None
    default: Any = None
    # For a number: the model column it is written to, whose type bounds it (`bounds`).
    stores: Any = None

    @property
    def bounds(self) -> Bounds:
        """What an integer or decimal cell may hold: its column's range, from `minimum` when
        given (a column with no `stores` is bounded as an INTEGER or a NUMERIC(18, 4))."""
        column = self.stores
        if column is None:
            column = sa.Integer() if self.type == "integer" else sa.Numeric(18, 4)
        return column_bounds(column, self.minimum)

    def parse(self, raw: str) -> Any:
        """The cell's value, or its default when empty; raises CellError when it is not right."""
        value = raw.strip()
        if not value:
            if self.required:
                raise CellError("a value is required")
            return self.default
        if self.max_length is not None and len(value) > self.max_length:
            raise CellError(f"must be {self.max_length} characters or fewer")
        if self.type == "list":
            items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
            check = FORMATS.get(self.format or "")
            return [check(item) for item in items] if check else items
        parsed = getattr(self, f"_parse_{self.type}")(value)
        if self.type in ("integer", "decimal") and not self.bounds.holds(parsed):
            raise CellError(f"must be {self.bounds.describe()}")
        return parsed

    def _parse_string(self, value: str) -> str:
        check = FORMATS.get(self.format or "")
        return check(value) if check else value

    def _parse_integer(self, value: str) -> int:
        if not re.fullmatch(r"-?[0-9]+", value):
            raise CellError(f"{value[:40]!r} is not {self.bounds.describe()}")
        if len(value) > 30:  # past any column, and int() of thousands of digits is slow
            raise CellError(f"must be {self.bounds.describe()}")
        return int(value)

    def _parse_decimal(self, value: str) -> Decimal:
        try:
            # Past 100 characters no number is within any column's bounds.
            number = Decimal(value.replace(",", "")) if len(value) <= 100 else Decimal("NaN")
        except InvalidOperation:
            raise CellError(f"{value[:40]!r} is not a number, like 1200000.00") from None
        return number

    def _parse_date(self, value: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(value) if len(value) == 10 else _bad_date(value)
        except ValueError:
            return _bad_date(value)

    def _parse_boolean(self, value: str) -> bool:
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(f"{value!r} is not yes or no")

    def _parse_enum(self, value: str) -> str:
        for choice in self.choices:
            if choice.lower() == value.lower():
                return choice
        raise CellError(f"{value!r} is not one of: {', '.join(self.choices)}")


def _bad_date(value: str) -> datetime.date:
    raise CellError(f"{value!r} is not a date in the form YYYY-MM-DD, like 2024-03-31")


def _values(enum_class: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum_class)


ILLUSTRATIVE = Column(
    "illustrative",
    "boolean",
    "yes when the row was invented or generated for illustration, not an official record",
    default=False,
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "frameworks": (
        Column(
            "reference", "string", "The framework's reference, like RM6116", True, max_length=40
        ),
        Column("title", "string", "The framework's title", True, max_length=300),
        Column(
            "owner_body",
            "string",
            "The body that runs it, like Crown Commercial Service",
            True,
            max_length=200,
        ),
        Column(
            "status", "enum", "Where it is in its lifecycle", True, choices=_values(FrameworkStatus)
        ),
        Column("start_date", "date", "When it starts (YYYY-MM-DD)"),
        Column("end_date", "date", "When it ends, before any extension (YYYY-MM-DD)"),
        Column(
            "extended_end_date", "date", "When it ends after extensions or continuity arrangements"
        ),
        Column(
            "max_term_months",
            "integer",
            "The maximum term in months, extensions included",
            minimum=1,
            stores=Framework.max_term_months,
        ),
        Column(
            "cpv_codes", "list", "CPV codes, separated by semicolons", format="cpv", max_length=2000
        ),
        Column(
            "source_url", "string", "Where the framework is published", format="uri", max_length=500
        ),
        Column(
            "ceiling_amount",
            "decimal",
            "The estimated or maximum value of all call-offs: a ceiling, never counted as spend",
            minimum=0,
            stores=Framework.ceiling_amount,
        ),
        Column(
            "ceiling_currency",
            "string",
            "ISO 4217 code of the ceiling, like GBP (needed with a ceiling)",
            format="iso-4217",
            max_length=3,
        ),
        Column("description", "string", "A short description", max_length=10_000, default=""),
        Column(
            "lots",
            "string",
            "The framework's lots, separated by |, each NUMBER: TITLE, like '1: Hardware | 2: Software'",
            max_length=10_000,
        ),
        ILLUSTRATIVE,
    ),
    "suppliers": (
        Column("name", "string", "The supplier's registered name", True, max_length=300),
        Column(
            "companies_house_number",
            "string",
            "Companies House number (8 digits, or 2 letters and 6 digits)",
            format="companies-house-number",
            max_length=10,
        ),
        Column(
            "duns", "string", "Dun & Bradstreet number (9 digits)", format="duns", max_length=11
        ),
        Column("party_id", "string", "PPON or OCDS party identifier", max_length=200),
        Column("sme", "boolean", "yes for a small or medium-sized enterprise"),
        Column(
            "group",
            "string",
            "The ultimate parent group's name; empty means a group of the supplier's own name",
            max_length=300,
        ),
        Column(
            "aliases",
            "list",
            "Other names it trades under, separated by semicolons",
            max_length=2000,
            default=[],
        ),
        ILLUSTRATIVE,
    ),
    "obligations": (
        Column(
            "framework_reference",
            "string",
            "The framework's reference; it must already be in the registry",
            True,
            max_length=40,
        ),
        Column(
            "lot_number",
            "string",
            "The lot's number within the framework; empty for the whole framework",
            max_length=20,
        ),
        Column(
            "supplier",
            "string",
            "Companies House number or exact name of the one supplier it binds; empty for every supplier on the framework or lot",
            max_length=300,
        ),
        Column(
            "category", "enum", "What kind of obligation", True, choices=_values(ObligationCategory)
        ),
        Column("title", "string", "What was promised", True, max_length=300),
        Column("description", "string", "More detail", max_length=10_000, default=""),
        Column(
            "standard_reference",
            "string",
            "The standard, like IM1, GP Connect, DSPT, ISO 27001",
            max_length=100,
        ),
        Column("kpi_target", "decimal", "The KPI's target value", stores=Obligation.kpi_target),
        Column("kpi_unit", "string", "The KPI's unit, like % or hours", max_length=40),
        Column("kpi_direction", "enum", "Needed with a KPI target", choices=_values(KPIDirection)),
        Column(
            "weight",
            "decimal",
            "Weight in scoring (default 1)",
            minimum=Decimal("0.001"),  # more than 0: the smallest weight the column keeps
            default=Decimal(1),
            stores=Obligation.weight,
        ),
        Column(
            "mandatory",
            "boolean",
            "yes when the obligation is mandatory (default yes)",
            default=True,
        ),
        ILLUSTRATIVE,
    ),
    "contracts": (
        Column(
            "reference",
            "string",
            "The contract's unique reference: how a re-import recognises it",
            True,
            max_length=200,
        ),
        Column("title", "string", "The contract's title", True, max_length=500),
        Column(
            "buyer",
            "string",
            "The buyer's identifier (an ODS code for NHS bodies); the buyer must already be in the registry",
            True,
            max_length=100,
        ),
        Column(
            "supplier_companies_house_number",
            "string",
            "The supplier's Companies House number",
            format="companies-house-number",
            max_length=10,
        ),
        Column(
            "supplier_name",
            "string",
            "The supplier's name, used when there is no Companies House number",
            max_length=300,
        ),
        Column(
            "framework_reference", "string", "The framework it was called off from", max_length=40
        ),
        Column(
            "lot_number",
            "string",
            "The lot within that framework (needed when it has several)",
            max_length=20,
        ),
        Column(
            "value_amount",
            "decimal",
            "The total value awarded",
            minimum=0,
            stores=Contract.value_amount,
        ),
        Column(
            "currency",
            "string",
            "ISO 4217 code of the value, like GBP",
            format="iso-4217",
            max_length=3,
        ),
        Column("award_date", "date", "When it was awarded (YYYY-MM-DD)"),
        Column("start_date", "date", "When it starts (YYYY-MM-DD)"),
        Column("end_date", "date", "When it ends now, extensions included (YYYY-MM-DD)"),
        Column("original_end_date", "date", "When it ended as awarded; empty means the end date"),
        Column(
            "procurement_method", "enum", "How it was awarded", choices=_values(ProcurementMethod)
        ),
        Column(
            "number_of_tenderers",
            "integer",
            "How many bids were received",
            minimum=0,
            stores=Contract.number_of_tenderers,
        ),
        Column(
            "predecessor_reference",
            "string",
            "The reference of the contract it replaces (same buyer), in the registry or in this file",
            max_length=200,
        ),
        Column("cpv_code", "string", "The main CPV code", format="cpv", max_length=12),
        Column("description", "string", "A short description", max_length=10_000, default=""),
        Column(
            "status",
            "enum",
            "draft or published (default published)",
            choices=("draft", "published"),
            default="published",
        ),
        Column(
            "lifecycle_override",
            "string",
            "Only when the framework had expired or was not yet live on the award date, or the "
            "supplier was in remediation, suspended or excluded: why it is recorded anyway",
            max_length=2000,
        ),
        ILLUSTRATIVE,
    ),
    # Draft KPI assessments of contracts, written through the scoring service (its rules, its
    # audit events): each needs its evidence narrative, as in the form and the API.
    "assessments": (
        Column(
            "contract_reference",
            "string",
            "The assessed contract's reference; it must already be in the registry",
            True,
            max_length=200,
        ),
        Column(
            "kpi",
            "string",
            "The KPI assessed; may be empty when obligation is given (its title is used)",
            max_length=300,
            default="",
        ),
        Column(
            "obligation",
            "string",
            "The title of an obligation of the contract's framework, whose KPI target and "
            "weight then apply",
            max_length=300,
        ),
        Column("period_start", "date", "The first day of the period assessed", True),
        Column("period_end", "date", "The last day of the period assessed", True),
        Column(
            "rating",
            "enum",
            "The Procurement Act 2023 rating",
            True,
            choices=_values(Rating),
        ),
        Column(
            "measured_value",
            "decimal",
            "The value measured, in the KPI's unit",
            stores=Assessment.measured_value,
        ),
        Column("unit", "string", "The unit of the measured value, like %", max_length=40),
        Column(
            "evidence",
            "string",
            "The evidence narrative the rating rests on, at least 20 characters",
            True,
            max_length=10_000,
        ),
        Column(
            "evidence_links",
            "list",
            "Web addresses of the evidence",
            format="uri",
            default=[],
        ),
    ),
}

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
    "enum": {"type": "string"},
    "list": {"type": "array", "items": {"type": "string"}},
}


def _schema_bounds(bounds: Bounds) -> dict[str, int | float]:
    """Bounds as JSON Schema keeps them exactly: a NUMERIC(18, 2)'s top, 9999999999999999.99, is
    no float, so it is written as `exclusiveMaximum: 10000000000000000`."""
    step = Decimal(1).scaleb(-bounds.places)
    found: dict[str, int | float] = {}
    for inclusive, exclusive, value, beyond in (
        ("minimum", "exclusiveMinimum", bounds.minimum, bounds.minimum - step),
        ("maximum", "exclusiveMaximum", bounds.maximum, bounds.maximum + step),
    ):
        if value == value.to_integral_value():
            found[inclusive] = int(value)
        elif beyond == beyond.to_integral_value():
            found[exclusive] = int(beyond)
        else:
            found[inclusive] = float(value)
    return found


def column_schema(kind: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one row of a `kind` CSV, as read by the importer."""
    properties: dict[str, Any] = {}
    for column in COLUMNS[kind]:
        prop: dict[str, Any] = dict(_JSON_TYPES[column.type])
        prop["description"] = column.description
        if column.format and column.type != "list":
            prop["format"] = column.format
        elif column.format:
            prop["items"] = {"type": "string", "format": column.format}
        if column.choices:
            prop["enum"] = list(column.choices)
        if column.max_length and column.type == "string":
            prop["maxLength"] = column.max_length
        if column.type in ("integer", "decimal"):
            prop.update(_schema_bounds(column.bounds))
        if column.default not in (None, [], ""):
            prop["default"] = (
                float(column.default) if isinstance(column.default, Decimal) else column.default
            )
        properties[column.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://registry.example/schemas/csv-{kind}.schema.json",
        "title": f"CSV import: {kind}",
        "description": (
            f"One row of a {kind} CSV file for `registry import csv {kind} FILE`: UTF-8, a header "
            "row naming the columns (in any order), empty cells for no value, lists separated by "
            "semicolons, dates as YYYY-MM-DD, yes/no for booleans. See docs/csv-import.md."
        ),
        "type": "object",
        "required": [c.name for c in COLUMNS[kind] if c.required],
        "properties": properties,
        "additionalProperties": False,
    }
