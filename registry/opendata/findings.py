"""Data-quality findings: the rules a publication can break and still be imported.

Each rule names one kind of deviation from the OCDS schema (or from what the registry can use),
what the import did about it, and is recorded per import with its JSON path, a count and an
example (registry.opendata.models.ImportFinding). The titles are what the ledger pages, the API
and the CSV download show beside the rule's name.
"""

from __future__ import annotations

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
    "missing-ocid": "A release without an ocid: skipped",
    "missing-release-id": "A release without an id: given an id derived from its content",
    "package-metadata": "Package metadata of the wrong type or form: not used",
}


def rule_title(rule: str) -> str:
    """The rule's description, or the rule's own name for one this version does not know."""
    return RULES.get(rule, rule)
