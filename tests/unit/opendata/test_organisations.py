"""Organisations are matched across releases by identifier, then by name, never by the
release's own party id; a contract without CPV gets its classification market; the method's
words are kept. All through the real import (import_file) on a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Classification, Contract, ProcurementMethod
from registry.opendata import writing
from registry.opendata.importer import import_file
from registry.suppliers.models import Supplier


def _org(id_: str, name: str, role: str, identifier: tuple[str, str] | None = None) -> dict:
    party: dict[str, Any] = {"id": id_, "name": name, "roles": [role]}
    if identifier:
        party["identifier"] = {"scheme": identifier[0], "id": identifier[1]}
    return party


def _release(
    n: int,
    buyer: dict[str, Any],
    supplier: dict[str, Any],
    *,
    tender: dict[str, Any] | None = None,
    award_items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    award: dict[str, Any] = {
        "id": "1",
        "date": "2024-03-01T00:00:00Z",
        "value": {"amount": 1000 + n, "currency": "GBP"},
        "suppliers": [{"id": supplier["id"], "name": supplier["name"]}],
    }
    if award_items:
        award["items"] = award_items
    return {
        "ocid": f"ocds-orgs-{n}",
        "id": f"ocds-orgs-{n}-award",
        "date": "2024-03-01T00:00:00Z",
        "tag": ["award"],
        "buyer": {"id": buyer["id"], "name": buyer["name"]},
        "parties": [buyer, supplier],
        "tender": tender or {"procurementMethod": "open"},
        "awards": [award],
    }


def _import(db: Session, tmp_path: Path, releases: list[dict[str, Any]], name: str) -> Any:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in releases) + "\n")
    summary = import_file(db, path, path.name)
    db.expire_all()  # the bulk writes go around the session
    return summary


def _contracts(db: Session) -> dict[str, Contract]:
    rows = db.execute(sa.select(Contract).where(Contract.ocid.like("ocds-orgs-%"))).scalars()
    return {c.ocid or "": c for c in rows}


def _suppliers(db: Session, *names: str) -> list[Supplier]:
    query = sa.select(Supplier).where(Supplier.name.in_(names)).order_by(Supplier.id)
    return list(db.execute(query).scalars())


def test_the_same_release_local_ids_in_two_releases_are_different_organisations(
    db_session: Session, tmp_path: Path
) -> None:
    releases = [
        _release(1, _org("b1", "Leeds City Council", "buyer"), _org("s1", "Alpha Ltd", "supplier")),
        _release(2, _org("b1", "Kent County Council", "buyer"), _org("s1", "Beta Ltd", "supplier")),
    ]
    summary = _import(db_session, tmp_path, releases, "local-ids.jsonl")

    assert (summary.created, summary.buyers, summary.suppliers) == (2, 2, 2)
    contracts = _contracts(db_session)
    pairs = {ocid: (c.buyer.name, c.supplier.name) for ocid, c in contracts.items()}
    assert pairs == {
        "ocds-orgs-1": ("Leeds City Council", "Alpha Ltd"),
        "ocds-orgs-2": ("Kent County Council", "Beta Ltd"),
    }
    # The release's own ids are never kept as an organisation's identifier.
    assert {c.buyer.party_id for c in contracts.values()} == {None}
    assert {c.supplier.party_id for c in contracts.values()} == {None}


def test_the_same_identifier_is_one_organisation_whatever_its_name_and_local_id(
    db_session: Session, tmp_path: Path
) -> None:
    kent = ("GB-LAE", "KEN")
    releases = [
        _release(
            1,
            _org("1", "Kent County Council", "buyer", kent),
            _org("2", "Gamma Software Ltd", "supplier", ("GB-COH", "1234567")),
        ),
        _release(
            2,
            _org("buyer-9", "KCC", "buyer", kent),
            _org(
                "x",
                "Gamma Software Limited (trading as G-Soft)",
                "supplier",
                ("GB-COH", "01234567"),
            ),
        ),
        _release(
            3,
            _org("1", "Kent County Council", "buyer", kent),
            _org("2", "Zeta Armenia SPY", "supplier", ("AM-TIN", "01000825")),
        ),
        _release(
            4,
            _org("7", "Kent County Council", "buyer", kent),
            _org("3", "Zeta Armenia", "supplier", ("AM-TIN", "01000825")),
        ),
    ]
    summary = _import(db_session, tmp_path, releases, "identified.jsonl")

    assert (summary.created, summary.buyers, summary.suppliers) == (4, 1, 2)
    contracts = _contracts(db_session)
    assert {c.buyer.name for c in contracts.values()} == {"Kent County Council"}
    buyer = contracts["ocds-orgs-1"].buyer
    assert (buyer.identifier_scheme, buyer.identifier, buyer.party_id) == (
        "GB-LAE",
        "KEN",
        "GB-LAE-KEN",
    )
    gamma = contracts["ocds-orgs-1"].supplier
    assert contracts["ocds-orgs-2"].supplier is gamma
    assert (gamma.companies_house_number, gamma.party_id) == ("01234567", "GB-COH-01234567")
    zeta = contracts["ocds-orgs-3"].supplier
    assert contracts["ocds-orgs-4"].supplier is zeta
    assert zeta.party_id == "AM-TIN-01000825"


def test_the_same_name_is_one_supplier_unless_two_identifiers_say_otherwise(
    db_session: Session, tmp_path: Path
) -> None:
    buyer = _org("b", "Leeds City Council", "buyer")
    releases = [
        # No identifiers: one name, one supplier, whatever the release-local ids.
        _release(1, buyer, _org("s1", "Delta Services Ltd", "supplier")),
        _release(2, buyer, _org("s2", "DELTA SERVICES LIMITED", "supplier")),
        # Two identifiers for one name: two companies.
        _release(3, buyer, _org("s1", "Epsilon Ltd", "supplier", ("GB-COH", "11111111"))),
        _release(4, buyer, _org("s1", "Epsilon Ltd", "supplier", ("GB-COH", "22222222"))),
        # The name again, without an identifier: the first company of that name.
        _release(5, buyer, _org("s9", "Epsilon Ltd", "supplier")),
    ]
    summary = _import(db_session, tmp_path, releases, "names.jsonl")

    assert (summary.created, summary.buyers, summary.suppliers) == (5, 1, 3)
    assert len(_suppliers(db_session, "Delta Services Ltd", "DELTA SERVICES LIMITED")) == 1
    epsilon = _suppliers(db_session, "Epsilon Ltd")
    assert [s.companies_house_number for s in epsilon] == ["11111111", "22222222"]
    contracts = _contracts(db_session)
    assert contracts["ocds-orgs-5"].supplier_id == epsilon[0].id
    assert contracts["ocds-orgs-1"].supplier_id == contracts["ocds-orgs-2"].supplier_id


def test_a_later_import_finds_the_organisations_by_identifier_and_name(
    db_session: Session, tmp_path: Path
) -> None:
    buyer = _org("b1", "Leeds City Council", "buyer")
    _import(
        db_session, tmp_path, [_release(1, buyer, _org("s1", "Alpha Ltd", "supplier"))], "a.jsonl"
    )
    second = [
        # The same release-local ids name other organisations in the next file.
        _release(2, _org("b1", "Kent County Council", "buyer"), _org("s1", "Beta Ltd", "supplier")),
        _release(
            3, _org("b7", "Leeds City Council", "buyer"), _org("s7", "Alpha Limited", "supplier")
        ),
    ]
    summary = _import(db_session, tmp_path, second, "b.jsonl")

    assert (summary.created, summary.buyers, summary.suppliers) == (2, 1, 1)
    contracts = _contracts(db_session)
    assert contracts["ocds-orgs-2"].buyer.name == "Kent County Council"
    assert contracts["ocds-orgs-2"].supplier.name == "Beta Ltd"
    assert contracts["ocds-orgs-3"].buyer_id == contracts["ocds-orgs-1"].buyer_id
    assert contracts["ocds-orgs-3"].supplier_id == contracts["ocds-orgs-1"].supplier_id


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writing, "CHUNK", 2)


def test_contracts_without_cpv_share_one_classification_row(
    db_session: Session, tmp_path: Path, small_batches: None
) -> None:
    buyer = _org("b", "Ministry of Roads", "buyer")
    unspsc = {"items": [{"id": "1", "classification": {"scheme": "UNSPSC", "id": "43211503"}}]}
    releases = [
        _release(1, buyer, _org("s", "Alpha Ltd", "supplier"), tender=unspsc),
        # The same segment, from the award's items (Colombia's shape), in the next batch.
        _release(
            2,
            buyer,
            _org("s", "Beta Ltd", "supplier"),
            award_items=[{"id": "9", "classification": {"scheme": "UNSPSC", "id": "43000000"}}],
        ),
        _release(
            3,
            buyer,
            _org("s", "Gamma Ltd", "supplier"),
            tender={"classification": {"description": "Road  salt"}},
        ),
        # A CPV code is the contract's cpv_code: no classification row.
        _release(
            4,
            buyer,
            _org("s", "Delta Ltd", "supplier"),
            tender={
                "items": [{"id": "1", "classification": {"scheme": "CPV", "id": "34927100-2"}}]
            },
        ),
    ]
    # A CPV code on the award's items only (as Armenia's awards carry them) is the cpv_code too.
    releases.append(
        _release(
            6,
            buyer,
            _org("s", "Theta Ltd", "supplier"),
            award_items=[{"id": "1", "classification": {"scheme": "CPV", "id": "30192700-8"}}],
        )
    )
    _import(db_session, tmp_path, releases, "classified.jsonl")
    # A later file with the same segment reuses the row.
    _import(
        db_session,
        tmp_path,
        [_release(5, buyer, _org("s", "Eta Ltd", "supplier"), tender=unspsc)],
        "more.jsonl",
    )

    rows = db_session.execute(sa.select(Classification).order_by(Classification.id)).scalars()
    assert [(r.scheme, r.code, r.label) for r in rows] == [
        ("UNSPSC", "43", "UNSPSC segment 43"),
        ("", "road salt", "Road salt"),
    ]
    contracts = _contracts(db_session)
    by_ocid = {
        ocid: (c.cpv_code, c.classification and c.classification.code)
        for ocid, c in contracts.items()
    }
    assert by_ocid == {
        "ocds-orgs-1": (None, "43"),
        "ocds-orgs-2": (None, "43"),
        "ocds-orgs-3": (None, "road salt"),
        "ocds-orgs-4": ("34927100-2", None),
        "ocds-orgs-5": (None, "43"),
        "ocds-orgs-6": ("30192700-8", None),
    }


def test_unknown_method_words_leave_the_method_unknown_and_are_kept(
    db_session: Session, tmp_path: Path
) -> None:
    buyer = _org("b", "Leeds City Council", "buyer")
    releases = [
        _release(
            1,
            buyer,
            _org("s", "Alpha Ltd", "supplier"),
            tender={"procurementMethodDetails": "Procedimiento especial de emergencia"},
        ),
        _release(
            2,
            buyer,
            _org("s", "Beta Ltd", "supplier"),
            tender={
                "procurementMethodDetails": "NPNA (Negotiated Procedure with No Preliminary Announcement)"
            },
        ),
        _release(
            3, buyer, _org("s", "Gamma Ltd", "supplier"), tender={"procurementMethod": "open"}
        ),
    ]
    _import(db_session, tmp_path, releases, "methods.jsonl")

    contracts = _contracts(db_session)
    found = {
        ocid: (c.procurement_method, c.procurement_method_details) for ocid, c in contracts.items()
    }
    assert found == {
        "ocds-orgs-1": (None, "Procedimiento especial de emergencia"),
        "ocds-orgs-2": (
            ProcurementMethod.limited,
            "NPNA (Negotiated Procedure with No Preliminary Announcement)",
        ),
        "ocds-orgs-3": (ProcurementMethod.open, None),
    }


def test_a_later_release_updates_the_classification_and_the_methods_words(
    db_session: Session, tmp_path: Path
) -> None:
    buyer = _org("b1", "Ministry of Finance", "buyer")
    supplier = _org("s1", "Tparan LLC", "supplier")
    first = _release(
        1,
        buyer,
        supplier,
        tender={
            "procurementMethodDetails": "Catalogue purchase",
            "classification": {"scheme": "UNSPSC", "id": "43211500", "description": "Computers"},
        },
    )
    _import(db_session, tmp_path, [first], "first.jsonl")
    later = json.loads(json.dumps(first))
    later["id"] = "ocds-orgs-1-update"
    later["date"] = "2024-04-01T00:00:00Z"
    later["tender"] = {
        "procurementMethod": "direct",
        "procurementMethodDetails": "Direct award",
        "classification": {"scheme": "UNSPSC", "id": "81111500", "description": "Software"},
    }
    _import(db_session, tmp_path, [later], "later.jsonl")

    contract = db_session.execute(sa.select(Contract)).scalar_one()
    assert contract.procurement_method == ProcurementMethod.direct_award
    assert contract.procurement_method_details == "Direct award"  # the words follow the method
    assert contract.classification is not None
    assert (contract.classification.scheme, contract.classification.code) == ("UNSPSC", "81")
    events = db_session.execute(
        sa.text(
            "SELECT before, after FROM audit_events WHERE action = 'contract.updated_from_ocds'"
        )
    ).all()
    assert len(events) == 1
    after = events[0].after if isinstance(events[0].after, dict) else json.loads(events[0].after)
    assert after["classification_id"] == contract.classification_id  # an id, not a placeholder
