"""The import's write path over many batches: new rows and updates on both sides of a batch's
edge, re-imports, and the rows as the database holds them (not as the session remembers them)."""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import verify_chain
from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ContractExtension
from registry.opendata import importer, writing
from registry.opendata.checking import release_hash
from registry.opendata.importer import import_file
from registry.opendata.models import ImportedRelease, ImportFinding, ImportRunOcid
from registry.opendata.reader import iter_releases
from registry.suppliers.models import Supplier


def _release(
    n: int, *, amount: float = 1000.0, date: str = "2024-01-01T00:00:00Z"
) -> dict[str, Any]:
    return {
        "ocid": f"ocds-batch-{n}",
        "id": f"ocds-batch-{n}-award",
        "date": date,
        "tag": ["award"],
        "buyer": {"id": f"b{n % 2}", "name": f"Buyer {n % 2} Council"},
        "parties": [
            {"id": f"b{n % 2}", "name": f"Buyer {n % 2} Council", "roles": ["buyer"]},
            {
                "id": f"s{n}",
                "name": f"Supplier {n} Ltd",
                "roles": ["supplier"],
                "identifier": {"scheme": "GB-COH", "id": f"{n + 1:08d}"},
            },
        ],
        "tender": {"procurementMethod": "open", "numberOfTenderers": 2},
        "awards": [
            {
                "id": "a1",
                "title": f"Contract {n}",
                "date": "2024-01-01T00:00:00Z",
                "value": {"amount": amount, "currency": "GBP"},
                "suppliers": [{"id": f"s{n}", "name": f"Supplier {n} Ltd"}],
                "contractPeriod": {
                    "startDate": "2024-02-01T00:00:00Z",
                    "endDate": "2026-02-01T00:00:00Z",
                },
            }
        ],
    }


def _amendment(n: int, release_id: str, date: str, end: str) -> dict[str, Any]:
    """A later release of process n: its contract extended, the award in an earlier release."""
    return {
        "ocid": f"ocds-batch-{n}",
        "id": release_id,
        "date": date,
        "tag": ["contractAmendment"],
        "contracts": [
            {
                "id": "c1",
                "awardID": "a1",
                "value": {"amount": 2500, "currency": "GBP"},
                "period": {"startDate": "2024-02-01T00:00:00Z", "endDate": end},
                "amendments": [{"date": date, "rationale": "extended"}],
            }
        ],
    }


def _write(path: Path, releases: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in releases) + "\n")
    return path


def _contracts(db: Session) -> dict[str, Contract]:
    db.expire_all()  # the bulk writes go around the session: read what the database holds
    return {
        c.ocid or "": c
        for c in db.execute(sa.select(Contract).where(Contract.ocid.like("ocds-batch-%"))).scalars()
    }


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(writing, "CHUNK", 3)
    return 3


def test_new_rows_and_updates_across_batches(
    db_session: Session, tmp_path: Path, small_batches: int
) -> None:
    events_before = _count(db_session, AuditEvent)
    releases = [_release(n) for n in range(8)]
    # Process 1's contract is changed and extended two batches after its award (and again in
    # the same batch as another process's award), process 6's in the next batch.
    releases.insert(4, _amendment(1, "ocds-batch-1-amend-1", "2024-06-01T00:00:00Z", "2027-02-01"))
    releases.insert(
        9, _amendment(1, "ocds-batch-1-amend-2", "2024-09-01T00:00:00Z", "2028-02-01T00:00:00Z")
    )
    releases.append(_amendment(6, "ocds-batch-6-amend", "2024-07-01T00:00:00Z", "2029-01-31"))
    path = _write(tmp_path / "batches.jsonl", releases)

    summary = import_file(db_session, path, path.name)

    assert summary.releases == len(releases) == 11
    assert (summary.created, summary.suppliers, summary.buyers) == (8, 8, 2)
    assert summary.updated == 3  # process 1 twice, process 6 once
    contracts = _contracts(db_session)
    assert sorted(contracts) == [f"ocds-batch-{n}" for n in range(8)]
    assert contracts["ocds-batch-1"].end_date == datetime.date(2028, 2, 1)
    assert contracts["ocds-batch-1"].original_end_date == datetime.date(2026, 2, 1)
    assert contracts["ocds-batch-1"].value_amount == Decimal("2500.00")
    assert contracts["ocds-batch-1"].updated is not None  # the onupdate column is set too
    assert contracts["ocds-batch-6"].end_date == datetime.date(2029, 1, 31)
    assert contracts["ocds-batch-0"].value_amount == Decimal("1000.00")
    assert contracts["ocds-batch-0"].created is not None
    assert (
        contracts["ocds-batch-0"].source == "ocds" and contracts["ocds-batch-0"].description == ""
    )
    for n, contract in contracts.items():
        assert contract.supplier.name == f"Supplier {n.rsplit('-', 1)[1]} Ltd"
        assert contract.buyer.name == f"Buyer {int(n.rsplit('-', 1)[1]) % 2} Council"
    assert sorted(
        (e.contract.ocid, e.extended_on.isoformat(), e.new_end_date.isoformat())
        for e in db_session.execute(
            sa.select(ContractExtension).join(Contract).where(Contract.ocid.like("ocds-batch-%"))
        ).scalars()
    ) == [
        ("ocds-batch-1", "2024-06-01", "2027-02-01"),
        ("ocds-batch-1", "2024-09-01", "2028-02-01"),
        ("ocds-batch-6", "2024-07-01", "2029-01-31"),
    ]
    # One event per update, in the order the releases came, each naming its contract.
    updates = db_session.execute(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "contract.updated_from_ocds", AuditEvent.seq > 0)
        .order_by(AuditEvent.seq)
    ).scalars()
    assert [(e.subject_id, e.after) for e in updates][-3:] == [
        (str(contracts["ocds-batch-1"].id), {"value_amount": "2500.00", "end_date": "2027-02-01"}),
        (str(contracts["ocds-batch-1"].id), {"end_date": "2028-02-01"}),
        (str(contracts["ocds-batch-6"].id), {"value_amount": "2500.00", "end_date": "2029-01-31"}),
    ]
    assert _count(db_session, AuditEvent) == events_before + 4  # and the file's own event
    assert verify_chain(db_session).intact
    assert _count(db_session, ImportedRelease, ImportedRelease.ocid.like("ocds-batch-%")) == 11
    assert _count(db_session, ImportRunOcid, ImportRunOcid.run_id == summary.run_id) == 8

    # Again with one release changed, two new processes and the rest as they were.
    changed = copy.deepcopy(releases)
    changed[0]["awards"][0]["value"]["amount"] = 1750
    # A release read again with other words for an amendment already held: not held twice.
    changed[9]["contracts"][0]["amendments"][0]["rationale"] = "extended again"
    changed += [_release(8), _release(9)]
    path = _write(tmp_path / "batches.jsonl", changed)
    suppliers, buyers = _count(db_session, Supplier), _count(db_session, Buyer)
    extensions = _count(db_session, ContractExtension)

    summary = import_file(db_session, path, path.name)

    assert (summary.releases, summary.unchanged, summary.created, summary.updated) == (13, 9, 2, 1)
    assert _count(db_session, ContractExtension) == extensions
    assert (_count(db_session, Supplier), _count(db_session, Buyer)) == (suppliers + 2, buyers)
    contracts = _contracts(db_session)
    assert contracts["ocds-batch-0"].value_amount == Decimal("1750.00")
    assert sorted(contracts) == [f"ocds-batch-{n}" for n in range(10)]
    rows = db_session.execute(
        sa.select(
            ImportedRelease.ocid, ImportedRelease.release_id, ImportedRelease.content_hash
        ).where(ImportedRelease.ocid.like("ocds-batch-%"))
    ).all()
    assert len(rows) == len({(o, r) for o, r, _ in rows}) == 13  # updated in place, no duplicates
    assert len({h for _, _, h in rows}) == 13
    assert verify_chain(db_session).intact

    # And once more as it is: nothing changes.
    counts = [_count(db_session, m) for m in (Contract, ImportedRelease, AuditEvent)]
    summary = import_file(db_session, path, path.name)
    assert (summary.unchanged, summary.created, summary.updated) == (13, 0, 0)
    assert [_count(db_session, m) for m in (Contract, ImportedRelease)] == counts[:2]
    assert _count(db_session, AuditEvent) == counts[2] + 1  # the file's own event only


def test_a_repeated_release_id_keeps_the_later_version_across_batches(
    db_session: Session, tmp_path: Path, small_batches: int
) -> None:
    """The later by date, then by place in the file, is kept; the repeat is a finding. Batches
    make no difference: the earlier version's row is in the database when the repeat comes."""
    releases = [_release(n) for n in range(7)]
    releases.append(_release(1, amount=5))  # same date, later place: kept
    releases.append(_release(2, amount=7, date="2023-01-01T00:00:00Z"))  # older: not kept
    releases.append(_release(8))
    releases.append(_release(8, amount=9, date="2025-01-01T00:00:00Z"))  # same batch, newer
    path = _write(tmp_path / "repeat.jsonl", releases)
    published = [found.release for found in iter_releases(path)]

    summary = import_file(db_session, path, path.name)

    contracts = _contracts(db_session)
    assert contracts["ocds-batch-1"].value_amount == Decimal("5.00")
    assert contracts["ocds-batch-2"].value_amount == Decimal("1000.00")
    assert contracts["ocds-batch-8"].value_amount == Decimal("9.00")
    assert summary.skip_reasons == {writing.SUPERSEDED: 2}  # 2's older, 8's first
    assert summary.findings == {"repeated-release-id": 3}
    rows = db_session.execute(
        sa.select(ImportedRelease.ocid, ImportedRelease.content_hash).where(
            ImportedRelease.ocid.like("ocds-batch-%")
        )
    ).all()
    assert len(rows) == 8
    hashes = dict(rows)
    assert hashes["ocds-batch-1"] == release_hash(published[7])
    assert hashes["ocds-batch-2"] == release_hash(published[2])
    (finding,) = db_session.execute(
        sa.select(ImportFinding).where(ImportFinding.run_id == summary.run_id)
    ).scalars()
    assert (finding.rule, finding.path, finding.count) == (
        "repeated-release-id",
        "releases[].id",
        3,
    )
    assert finding.example == '"ocds-batch-1-award"'
    assert finding.example_where == "line 8.id (ocid ocds-batch-1)"
    events = _count(db_session, AuditEvent)

    # The same file again: the same versions are kept. A repeat within one batch is not applied
    # on the way; one across batches is applied again in the file's order (1: two updates).
    again = import_file(db_session, path, path.name)
    contracts = _contracts(db_session)
    assert [contracts[f"ocds-batch-{n}"].value_amount for n in (1, 2, 8)] == [
        Decimal("5.00"),
        Decimal("1000.00"),
        Decimal("9.00"),
    ]
    assert again.created == 0 and again.skip_reasons[writing.SUPERSEDED] >= 1
    assert _count(db_session, AuditEvent) - events == 3  # and the file's own event


def test_a_repeat_with_other_content_is_refused_with_strict(
    db_session: Session, tmp_path: Path, small_batches: int
) -> None:
    """--strict: a repeat the first pass catches is refused with its place; rows of earlier
    batches go."""
    releases = [_release(n) for n in range(20, 27)]
    releases.append(_release(21, amount=5))
    path = _write(tmp_path / "repeat.jsonl", releases)
    counts = [_count(db_session, m) for m in (Contract, ImportedRelease, AuditEvent, Supplier)]
    with pytest.raises(importer.ImportRefused) as refused:
        import_file(db_session, path, path.name, strict=True)
    assert refused.value.messages == [
        "repeat.jsonl: line 8: repeats the ocid and id of line 2 with different content"
    ]
    assert [_count(db_session, m) for m in (Contract, ImportedRelease, AuditEvent, Supplier)] == (
        counts
    )
