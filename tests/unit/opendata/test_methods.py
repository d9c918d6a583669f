"""Procurement methods from the OCDS code, else the publisher's words: the real values in
../shared/data, and values no row knows (unknown, never guessed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.contracts.models import ProcurementMethod as PM
from registry.opendata.methods import WORDS, method_for_words, procurement_method
from tests.conftest import SHARED_DATA

ARMENIA = "NPNA (Negotiated Procedure with No Preliminary Announcement)"
UGANDA = "The contract is awarded to a single supplier without competition."


@pytest.mark.parametrize(
    ("code", "details", "expected"),
    [
        # The code comes first, whatever the words say.
        ("direct", ARMENIA, PM.direct_award),
        ("open", "NPA (Negotiated Procedure with Preliminary Announcement)", PM.open),
        ("selective", "FA (Framework Agreement)", PM.selective),
        ("limited", "Competitive quotation (below threshold)", PM.limited),
        ("selective", "Call-off from a framework agreement", PM.selective),
        ("direct", UGANDA, PM.direct_award),
        ("limited", None, PM.limited),
        # ... except a selective call-off whose words say it was competed again.
        ("selective", "Other - Further Competition - Framework", PM.further_competition),
        ("selective", "Call-off: further competition", PM.further_competition),
        ("open", "Further competition", PM.open),
        # No code: the words (all seen in ../shared/data, UK Contracts Finder, Armenia, Uganda).
        (None, ARMENIA, PM.limited),
        (None, "Negotiated procedure without prior publication (above threshold)", PM.limited),
        (None, UGANDA, PM.direct_award),
        (None, "Single tender action (below threshold)", PM.direct_award),
        (None, "Direct award", PM.direct_award),
        (None, "Other - Direct Award", PM.direct_award),
        (None, "Other - Direct Award from a Framework Contract", PM.direct_award),
        (None, "Other - Further Competition - Framework", PM.further_competition),
        (None, "Call-off from a dynamic purchasing system", PM.selective),
        (None, "Restricted procedure (above threshold)", PM.selective),
        (None, "Other - Restricted procedure, below threshold", PM.selective),
        (None, "Competitive procedure with negotiation (above threshold)", PM.selective),
        (None, "NPA (Negotiated Procedure with Preliminary Announcement)", PM.selective),
        (None, "Open procedure", PM.open),
        (None, "Open procedure (below threshold)", PM.open),
        (None, "OP (Open Procedure)", PM.open),
        (None, "urgent open tender", PM.open),
        (None, "Licitación Pública", PM.open),
        # Words the table knows but that say no method: unknown, not guessed.
        (None, "Call-off from a framework agreement", None),
        (None, "FA (Framework Agreement)", None),
        (None, "Competitive quotation (below threshold)", None),
        (None, "request for quotation", None),
        (None, "Other - Request for Quotation", None),
        (None, "Negotiated procedure", None),
        (None, "SP (Simplified Procedure)", None),
        (None, "NPC (Non-Procurement Contracts)", None),
        (None, "Not specified", None),
        (None, "Not applicable", None),
        (None, "Other - ", None),
        (None, "Other - Open", None),
        # Words no row knows.
        (None, "Procedimiento especial de emergencia", None),
        (None, "haggling", None),
        (None, None, None),
        # Moldova writes words where the code belongs: they are matched like the details.
        ("Licitaţie publică", None, PM.open),
        ("Cerere a ofertelor de preţuri", None, None),
        # A code in other letters is still the code; anything else is words.
        ("Open", None, PM.open),
        ("direct award", None, PM.direct_award),
        ("tendering", None, None),
    ],
)
def test_the_method_of_real_values(code: Any, details: Any, expected: PM | None) -> None:
    tender = {"procurementMethod": code, "procurementMethodDetails": details}
    assert procurement_method(tender)[0] is expected


def test_the_publishers_words_are_kept_as_published() -> None:
    assert procurement_method({"procurementMethod": "direct"}) == (PM.direct_award, None)
    assert procurement_method(
        {"procurementMethod": "open", "procurementMethodDetails": "  OP (Open   Procedure) "}
    ) == (PM.open, "OP (Open Procedure)")
    # Words where the code belongs are the publisher's words too, before the details.
    assert procurement_method(
        {"procurementMethod": "Licitaţie publică", "procurementMethodDetails": "Lot 2"}
    ) == (PM.open, "Licitaţie publică; Lot 2")
    assert procurement_method({"procurementMethodDetails": "x" * 400}) == (None, "x" * 300)


def test_every_rule_is_documented_and_reached() -> None:
    for rule in WORDS:
        assert rule.note and rule.phrases
        # Each phrase gives its own row: no earlier row hides it.
        for phrase in rule.phrases:
            assert method_for_words(phrase) is rule, phrase


def test_every_published_value_in_the_real_data_gets_a_method_or_a_reason() -> None:
    """The real values are all in the table: a code, or words a row knows (none falls through
    to 'no row matches' unnoticed)."""
    seen: set[tuple[Any, Any]] = set()
    for path in SHARED_DATA.rglob("*.json"):
        if path.name.startswith("invalid-"):
            continue
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        releases = doc.get("releases") or []
        releases += [r.get("compiledRelease") or {} for r in doc.get("records") or []]
        for release in releases:
            tender = release.get("tender") if isinstance(release, dict) else None
            if isinstance(tender, dict):
                seen.add((tender.get("procurementMethod"), tender.get("procurementMethodDetails")))
    assert len(seen) > 30
    for code, details in seen:
        method, said = procurement_method(
            {"procurementMethod": code, "procurementMethodDetails": details}
        )
        if method is None and said:
            assert method_for_words(said) is not None, said
