"""The procurement-method mapping published on /methodology, and an imported contract's page
saying what its publisher said: the method, the words, or that it is unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.opendata.importer import import_file
from registry.opendata.methods import CODES, WORDS


def test_the_methodology_page_publishes_the_mapping(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/methodology")
    section = page.html.select_one("#procurement-methods")
    assert section is not None and section.text == "Procurement methods in imported data"
    codes, words = page.html.select("#procurement-methods ~ table")[:2]
    assert [[td.text.strip() for td in tr.select("td")] for tr in codes.select("tbody tr")] == [
        [code, method.capitalize()] for code, method in CODES.items()
    ]
    rows = [[td.text.strip() for td in tr.select("td")] for tr in words.select("tbody tr")]
    assert len(rows) == len(WORDS)
    for row, rule in zip(rows, WORDS, strict=True):
        assert row[0] == ", ".join(f"“{phrase}”" for phrase in rule.phrases)
        assert row[1] == (rule.method.capitalize() if rule.method else "Unknown")
        assert row[2] == rule.note
    assert "“NPNA”" in rows[4][0] and rows[4][1] == "Limited"
    assert "counted as unknown, never guessed" in " ".join(page.html.text.split())


def _release(n: int, tender: dict[str, Any], items: list[dict[str, Any]] | None = None) -> dict:
    return {
        "ocid": f"ocds-words-{n}",
        "id": f"ocds-words-{n}-1",
        "date": "2024-05-01T00:00:00Z",
        "tag": ["award"],
        "buyer": {"id": "1", "name": "Kampala Capital City Authority"},
        "tender": {**tender, "items": items or []},
        "awards": [
            {
                "id": "1",
                "value": {"amount": 5000000, "currency": "UGX"},
                "suppliers": [{"id": "2", "name": f"Supplier {n} Ltd"}],
            }
        ],
    }


def test_an_imported_contract_shows_its_method_and_the_publishers_words(
    webtest_app: webtest.TestApp, db_session: Session, tmp_path: Path
) -> None:
    unspsc = [{"id": "1", "classification": {"scheme": "UNSPSC", "id": "72101500"}}]
    releases = [
        _release(
            1,
            {
                "procurementMethod": "direct",
                "procurementMethodDetails": "The contract is awarded to a single supplier "
                "without competition.",
            },
            unspsc,
        ),
        _release(2, {"procurementMethodDetails": "Procedimiento especial de emergencia"}),
        _release(3, {}),
    ]
    path = tmp_path / "words.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in releases))
    import_file(db_session, path, path.name)
    ids = dict(
        db_session.execute(
            sa.select(Contract.ocid, Contract.id).where(Contract.ocid.like("ocds-words-%"))
        ).all()
    )

    def method(n: int) -> str:
        page = webtest_app.get(f"/contracts/{ids[f'ocds-words-{n}']}")
        for row in page.html.select(".govuk-summary-list__row"):
            if row.dt.text == "Procurement method":
                return " ".join(row.dd.text.split())
        raise AssertionError("no method row")

    assert method(1) == (
        "Direct award As published: "
        "The contract is awarded to a single supplier without competition."
    )
    assert method(2).startswith("Unknown: Procedimiento especial de emergencia The publisher's")
    assert method(3) == "Not stated"
    page = webtest_app.get(f"/contracts/{ids['ocds-words-1']}")
    assert "UNSPSC segment 72" in page.text
