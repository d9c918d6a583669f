"""Real publications imported: their markets beyond CPV, their methods and words, and their
organisations known by identifier."""

from __future__ import annotations

import collections
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Classification, Contract, ProcurementMethod
from registry.opendata.importer import import_file
from tests.conftest import SHARED_DATA

JALISCO = sorted((SHARED_DATA / "mexico-jalisco-2018" / "record-packages").glob("*.json"))
COLOMBIA = SHARED_DATA / "ocp-sample-data-2018" / "colombia-records.json"
ARMENIA = SHARED_DATA / "armenia-armeps-2018" / "release-package-1.json"


def _rows(db: Session, prefix: str) -> list[Any]:
    return list(
        db.execute(
            sa.select(
                Contract.cpv_code,
                Classification.scheme,
                Classification.code,
                Contract.procurement_method,
                Contract.procurement_method_details,
            )
            .outerjoin(Classification, Classification.id == Contract.classification_id)
            .where(Contract.ocid.like(f"{prefix}%"))
        ).all()
    )


def test_national_schemes_and_descriptions_become_markets(db_session: Session) -> None:
    for path in [*JALISCO, COLOMBIA]:
        import_file(db_session, path, path.name)

    jalisco = _rows(db_session, "ocds-xs1qbl-")
    assert len(jalisco) == 20
    assert {(cpv, scheme) for cpv, scheme, *_ in jalisco} == {(None, "FAM-GOB-JAL")}
    assert ("014-002",) in {(code,) for _, _, code, *_ in jalisco}
    # Colombia names UNSPSC with no code: its words are the market.
    colombia = _rows(db_session, "ocds-k50g02-")
    assert len(colombia) == 10
    assert {scheme for _, scheme, *_ in colombia} == {""}
    assert "servicios de personal temporal" in {code for _, _, code, *_ in colombia}
    # Jalisco's "Licitación Pública" comes with the code open; the words are kept.
    assert {(m, words) for *_, m, words in jalisco} == {
        (ProcurementMethod.open, "Licitación Pública")
    }
    labels = db_session.execute(
        sa.select(Classification.label).where(Classification.code == "014-002")
    ).scalar_one()
    assert labels == "ARTICULOS Y MATERIALES DE ESCRITORIO (FAM-GOB-JAL 014-002)"


def test_armenia_keeps_cpv_its_methods_words_and_its_tax_numbers(db_session: Session) -> None:
    import_file(db_session, ARMENIA, ARMENIA.name)

    rows = _rows(db_session, "AM-PPS-")
    assert len(rows) == 27
    assert all(cpv and scheme is None for cpv, scheme, *_ in rows)
    methods = collections.Counter((m, words) for *_, m, words in rows)
    npna = "NPNA (Negotiated Procedure with No Preliminary Announcement)"
    assert methods[(ProcurementMethod.direct_award, npna)] > 0
    assert all(words for (_, words) in methods)
    parties = db_session.execute(
        sa.text(
            "SELECT DISTINCT s.party_id FROM suppliers s JOIN contracts c ON c.supplier_id = s.id "
            "WHERE c.ocid LIKE 'AM-PPS-%'"
        )
    ).scalars()
    # Every supplier is known by its tax number (an AM-TIN org-id).
    assert sorted({p[:7] for p in parties}) == ["AM-TIN-"]
