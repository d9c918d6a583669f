"""Data-quality findings: the rules a publication can break and still be imported.

Each rule names one kind of deviation from the OCDS schema (or from what the registry can use),
what the import did about it, and is recorded per import with its JSON path, a count and an
example (registry.opendata.models.ImportFinding). The titles are what the ledger pages, the API
and the CSV download show beside the rule's name.
"""

from __future__ import annotations

import collections
import json
import re
from decimal import Decimal
from typing import Any

RULES: dict[str, str] = {
    "empty-string": "An empty string where a value belongs: read as a missing value",
    "wrong-type": "A value of the wrong JSON type: that part is not used",
    "invalid-date": "Not an ISO 8601 date: the date is not used",
    "invalid-currency": "Not a 3-letter ISO 4217 currency code: the value is not used",
    "invalid-amount": "An amount that is negative, not finite or too large: not used",
    "repeated-release-id": (
        "A release id repeated with different content: the later one (by date, then position) "
        "is kept"
    ),
    "derived-award-id": "An award without an id: given an id derived from its place",
    "derived-contract-id": "A contract without an id: given an id derived from its place",
    "record-compiled": "A record without a compiledRelease: compiled from its releases",
    "record-links-only": "A record that only links to its releases: skipped",
    "not-an-object": "An item that is not a JSON object: skipped",
    "missing-ocid": "A release without a usable ocid (missing, empty or not a string): skipped",
    "missing-release-id": "A release without a usable id: given an id derived from its content",
    "package-metadata": "Package metadata of the wrong type or form: not used",
    # Faults of the same kinds, met on real publications or in the hand-made files.
    "missing-release-date": "A release without a date: ordered by its place in the file",
    "repeated-award-id": (
        "An award whose id repeats another's in the same release: merged into it, as compiling does"
    ),
    "repeated-contract-id": (
        "A contract whose id repeats another's in the same release: merged into it, as "
        "compiling does"
    ),
    "period-order": "A period that ends before it starts: kept as published",
    "record-partly-linked": (
        "A record without a compiledRelease some of whose releases are only links: compiled "
        "from the releases it holds"
    ),
    "record-without-releases": "A record with neither a compiledRelease nor releases: skipped",
    "record-not-compiled": "A record whose releases cannot be compiled: skipped",
    "unusable-name": (
        "An organisation's name with no letters or digits besides words like 'Ltd': known by "
        "its identifier alone (without one, as the one organisation of no usable name)"
    ),
    "not-ocds": (
        "A document or line that is not a release, a release package or a record package: skipped"
    ),
}

# Rules that are notes on what the import did rather than faults: `--strict` accepts them.
NOTES = frozenset({"record-compiled", "period-order"})

EXAMPLE_LENGTH = 300
_POSITION = re.compile(r"\[[0-9]+\]")


def rule_title(rule: str) -> str:
    """The rule's description, or the rule's own name for one this version does not know."""
    return RULES.get(rule, rule)


def generic_path(path: str) -> str:
    """The JSON path without array positions: `awards[2].value` -> `awards[].value`."""
    return _POSITION.sub("[]", path)


def show(value: Any) -> str:
    """A value found, as JSON (so an empty string shows as ""), cut to the column's size."""
    if isinstance(value, Decimal):  # a number as published: 1.1, 1E+309
        return str(value)[:EXAMPLE_LENGTH]
    try:
        shown = json.dumps(value, ensure_ascii=False, default=_number)
    except (ValueError, RecursionError):
        shown = repr(value)
    return safe(shown[:EXAMPLE_LENGTH])


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


def safe(text: str) -> str:
    """Text any database takes: no NUL, no lone surrogates (published data has both)."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class FindingLog:
    """The findings of one import, as it reads: a count per rule and path, and the first place
    each was seen. Memory stays flat on any file: one entry per (rule, path) the cleaning knows,
    whatever the number of releases."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], list[Any]] = {}
        self.by_rule: collections.Counter[str] = collections.Counter()

    def add(self, rule: str, path: str, value: Any, where: str, ocid: str | None = None) -> None:
        """One finding at `path` (its generic form: positions removed), seen at `where`."""
        self.by_rule[rule] += 1
        key = (rule, path[:EXAMPLE_LENGTH])
        entry = self.entries.get(key)
        if entry is not None:
            entry[0] += 1
            return
        place = f"{where} (ocid {ocid})" if ocid else where
        self.entries[key] = [1, show(value), safe(place[:EXAMPLE_LENGTH])]

    @property
    def total(self) -> int:
        return sum(self.by_rule.values())

    def rows(self, run_id: int) -> list[dict[str, Any]]:
        """The rows of import_findings for the run."""
        return [
            {
                "run_id": run_id,
                "rule": rule,
                "path": path,
                "count": count,
                "example": example,
                "example_where": where,
            }
            for (rule, path), (count, example, where) in sorted(self.entries.items())
        ]
