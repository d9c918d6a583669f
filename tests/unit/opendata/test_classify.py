"""The market of a contract without a CPV code, on the shapes real publishers use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.opendata.classify import Classified, classification, classify
from tests.conftest import SHARED_DATA

SAMPLES = SHARED_DATA / "ocp-sample-data-2018"


def _compiled(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if "records" in doc:
        return [r["compiledRelease"] for r in doc["records"] if "compiledRelease" in r]
    return list(doc["releases"])


def _first(path: Path, test: Any = lambda release: True) -> dict[str, Any]:
    return next(r for r in _compiled(path) if test(r))


def _tender(release: dict[str, Any]) -> dict[str, Any]:
    return release.get("tender") or {}


def test_unspsc_codes_give_their_segment() -> None:
    # New South Wales: UNSPSC codes on the tender's items, published with a leading space.
    release = _first(SAMPLES / "australia-new-south-wales-releases.json")
    assert release["tender"]["items"][0]["classification"]["id"] == " 81101508"
    assert classification(_tender(release), {}) == Classified("UNSPSC", "81", "UNSPSC segment 81")
    # Every code of one segment is one market, whatever its depth.
    assert classify({"scheme": "UNSPSC", "id": "81000000"}) == classify(
        {"scheme": "unspsc", "id": "81101508", "description": "Architectural engineering"}
    )


def test_unspsc_without_a_code_gives_its_description() -> None:
    # Colombia names UNSPSC but puts no code in the classification (only in the item's own id,
    # which is not a classification and is not read as one).
    release = _first(SAMPLES / "colombia-releases.json", lambda r: r.get("awards"))
    item = release["tender"]["items"][0]
    assert item["classification"]["scheme"] == "UNSPSC" and "id" not in item["classification"]
    found = classification(_tender(release), release["awards"][0])
    description = " ".join(item["classification"]["description"].split())
    assert found == Classified("", description.lower(), description)


def test_a_national_scheme_keeps_its_code_as_published() -> None:
    # Jalisco's FAM-GOB-JAL families, padded with spaces, on the tender's and the award's items.
    path = (
        SHARED_DATA / "mexico-jalisco-2018" / "record-packages" / "ocds-xs1qbl-02-0070-00-2017.json"
    )
    release = _first(path)
    assert release["tender"]["items"][0]["classification"]["id"] == "014-002       "
    assert classification(_tender(release), release["awards"][0]) == Classified(
        "FAM-GOB-JAL", "014-002", "ARTICULOS Y MATERIALES DE ESCRITORIO (FAM-GOB-JAL 014-002)"
    )


def test_paraguays_catalogue_is_cut_to_the_column_and_not_repeated_in_the_label() -> None:
    release = _first(SAMPLES / "paraguay-records.json", lambda r: r.get("tender", {}).get("items"))
    entry = release["tender"]["items"][0]["classification"]
    assert len(entry["scheme"]) > 100  # the scheme is the catalogue's full name
    found = classification(_tender(release), {})
    assert found is not None
    assert found.scheme == entry["scheme"][:100]
    assert found.code == entry["id"]  # e.g. 32121701-003, level 5 of the catalogue
    # Its description only names the catalogue again: the label says the scheme and code once.
    assert found.label == f"{entry['scheme']} {entry['id']}"


def test_tender_then_its_items_then_the_awards_items() -> None:
    tender = {
        "classification": {"scheme": "X-SCHEME"},  # no code, no words: not usable
        "items": [{"id": "1"}, {"id": "2", "classification": {"scheme": "A", "id": "a-1"}}],
    }
    award = {"items": [{"classification": {"scheme": "B", "id": "b-1"}}]}
    assert classification(tender, award) == Classified("A", "a-1", "A a-1")
    assert classification({"items": "not a list"}, award) == Classified("B", "b-1", "B b-1")
    tender["classification"] = {"scheme": "T", "id": "t-1", "description": "Tea"}
    assert classification(tender, award) == Classified("T", "t-1", "Tea (T t-1)")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # Description only: the words are the market, folded.
        (
            {"description": "  Office   SUPPLIES\n"},
            Classified("", "office supplies", "Office SUPPLIES"),
        ),
        # A CPV code is the contract's cpv_code, not a classification row.
        ({"scheme": "CPV", "id": "30192700-8", "description": "Stationery"}, None),
        # A malformed CPV code (Nigeria's nine digits) names no market; its words still do.
        ({"scheme": "CPV", "id": "286989310"}, None),
        (
            {"scheme": "CPV", "id": "286989310", "description": "Drugs"},
            Classified("", "drugs", "Drugs"),
        ),
        # A UNSPSC code that is not digits is no segment: its words are used.
        (
            {"scheme": "UNSPSC", "id": "n/a", "description": "Tyres"},
            Classified("", "tyres", "Tyres"),
        ),
        # A numeric code, as some publishers write it.
        ({"scheme": "UNSPSC", "id": 43211503}, Classified("UNSPSC", "43", "UNSPSC segment 43")),
        (
            {"scheme": "LOCAL", "id": "x" * 150},
            Classified("LOCAL", "x" * 100, f"LOCAL {'x' * 100}"),
        ),
        ({"scheme": "LOCAL"}, None),
        ({}, None),
        ("UNSPSC 43", None),
    ],
)
def test_one_classification(entry: Any, expected: Classified | None) -> None:
    assert classify(entry) == expected
