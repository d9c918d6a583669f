"""Mutated OCDS packages: every one imports cleanly or is refused cleanly, with nothing written."""

from __future__ import annotations

import copy
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.opendata.importer import ImportRefused, import_file
from registry.opendata.models import ImportedRelease
from registry.suppliers.models import Supplier

TABLES = (Contract, Supplier, Buyer, ImportedRelease, AuditEvent)


def package() -> dict[str, Any]:
    return {
        "uri": "https://example.org/p.json",
        "version": "1.1",
        "publishedDate": "2024-01-01T00:00:00Z",
        "publisher": {"name": "Test"},
        "releases": [
            {
                "ocid": "ocds-test-1",
                "id": "ocds-test-1-award",
                "date": "2024-01-01T00:00:00Z",
                "tag": ["award"],
                "buyer": {"id": "b1", "name": "Leeds Teaching Hospitals NHS Trust"},
                "parties": [
                    {"id": "b1", "name": "Leeds Teaching Hospitals NHS Trust", "roles": ["buyer"]},
                    {
                        "id": "s1",
                        "name": "EMIS Health Ltd",
                        "roles": ["supplier"],
                        "identifier": {"scheme": "GB-COH", "id": "06553923"},
                    },
                ],
                "tender": {"procurementMethod": "open", "numberOfTenderers": 3},
                "awards": [
                    {
                        "id": "a1",
                        "title": "GP clinical system",
                        "value": {"amount": 125000.5, "currency": "GBP"},
                        "suppliers": [{"id": "s1", "name": "EMIS Health Ltd"}],
                        "contractPeriod": {
                            "startDate": "2024-02-01T00:00:00Z",
                            "endDate": "2026-02-01T00:00:00Z",
                        },
                    }
                ],
                "contracts": [
                    {
                        "id": "c1",
                        "awardID": "a1",
                        "amendments": [{"date": "2025-06-01T00:00:00Z", "rationale": "extended"}],
                    }
                ],
            }
        ],
    }


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*path, index))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any, remove: bool = False) -> None:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    doc = package()
    paths = [p for p in _paths(doc) if p]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["remove", "swap", "huge", "deep"]))
        if kind == "remove":
            _set(doc, path, None, remove=True)
        elif kind == "swap":
            _set(doc, path, draw(JSON_VALUES))
        elif kind == "huge":
            _set(doc, path, draw(st.sampled_from(["x", "\x00", "é", "\ud800"])) * 100_000)
        else:
            _set(doc, path, "__DEEP__")
    text = json.dumps(doc)
    raw = text.encode("utf-8", "surrogatepass")
    # Deep nesting is spliced in as bytes: json.dumps itself would hit the recursion limit.
    depth = draw(st.integers(min_value=10, max_value=5000))
    raw = raw.replace(b'"__DEEP__"', b'{"a":' * depth + b"1" + b"}" * depth)
    byte_kind = draw(st.sampled_from(["none", "truncate", "bad-utf8", "number"]))
    if byte_kind == "truncate":
        raw = raw[: draw(st.integers(min_value=0, max_value=len(raw)))]
    elif byte_kind == "bad-utf8":
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + raw[at:]
    elif byte_kind == "number":
        raw = raw.replace(
            b"125000.5", draw(st.sampled_from([b"1e309", b"-1", b"NaN", b"1e15", b"0.000001"]))
        )
    return raw


def _counts(db: Session) -> tuple[int, ...]:
    return tuple(db.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in TABLES)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=mutated(), jsonl=st.booleans(), strict=st.booleans())
def test_mutated_packages_import_or_are_refused_cleanly(
    db_session: Session, raw: bytes, jsonl: bool, strict: bool
) -> None:
    """Cleaned (or, with strict, checked): whatever is let through, mapping and the writer take."""
    before = _counts(db_session)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("mutant.jsonl" if jsonl else "mutant.json")
        path.write_bytes(raw.replace(b"\n", b" ") if jsonl else raw)
        try:
            summary = import_file(db_session, path, path.name, strict=strict)
        except ImportRefused as exc:
            assert exc.messages and all(m.startswith("mutant.json") for m in exc.messages)
            assert _counts(db_session) == before
            return
    after = _counts(db_session)
    assert after[3] >= before[3]  # the releases it read are recorded
    assert summary.releases >= 0
    for contract in db_session.execute(sa.select(Contract)).scalars():
        assert contract.value_amount is None or contract.value_amount >= 0


def test_the_unmutated_package_imports_and_extends(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package()))
    summary = import_file(db_session, path, "p.json")
    assert (summary.contracts, summary.suppliers, summary.buyers, summary.skipped) == (1, 1, 1, 0)
    contract = db_session.execute(
        sa.select(Contract).where(Contract.reference == "ocds-test-1/a1")
    ).scalar_one()
    assert contract.supplier.companies_house_number == "06553923"
    assert contract.value_amount == 125000.5
    assert [e.extended_on.isoformat() for e in contract.extensions] == ["2025-06-01"]


def test_a_newer_release_updates_the_contract_and_is_audited(
    db_session: Session, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps(package()))
    import_file(db_session, first, "first.json")
    newer = copy.deepcopy(package())
    release = newer["releases"][0]
    release["id"] = "ocds-test-1-update"
    release["date"] = "2024-06-01T00:00:00Z"
    release["awards"][0]["value"]["amount"] = 150000
    second = tmp_path / "second.json"
    second.write_text(json.dumps(newer))
    summary = import_file(db_session, second, "second.json")
    assert summary.updated == 1 and summary.contracts == 1 and summary.suppliers == 0
    contract = db_session.execute(
        sa.select(Contract).where(Contract.reference == "ocds-test-1/a1")
    ).scalar_one()
    assert contract.value_amount == 150000
    event = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "contract.updated_from_ocds",
            AuditEvent.subject_id == str(contract.id),
        )
    ).scalar_one()
    assert event.before == {"value_amount": "125000.50"} and event.after == {
        "value_amount": "150000.00"
    }

    # An older release arriving late changes nothing.
    older = copy.deepcopy(package())
    older["releases"][0]["id"] = "ocds-test-1-old"
    older["releases"][0]["date"] = "2023-06-01T00:00:00Z"
    older["releases"][0]["awards"][0]["value"]["amount"] = 1
    third = tmp_path / "third.json"
    third.write_text(json.dumps(older))
    summary = import_file(db_session, third, "third.json")
    assert summary.skip_reasons == {"older than a release already imported": 1}
    db_session.refresh(contract)
    assert contract.value_amount == 150000


def test_existing_records_are_matched_not_duplicated(db_session: Session, tmp_path: Path) -> None:
    """A hand-entered contract with the same reference is updated; a supplier merged into another
    stands for the survivor; a buyer is matched by name."""
    from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory

    survivor = SupplierFactory(name="EMIS Group")
    SupplierFactory(name="EMIS Health Ltd", companies_house_number="06553923", merged_into=survivor)
    buyer = BuyerFactory(
        name="Leeds Teaching Hospitals NHS Trust",
        normalised_name="leeds teaching hospitals nhs trust",
    )
    manual = ContractFactory(reference="ocds-test-1/a1", ocid=None, buyer=buyer, supplier=survivor)
    suppliers_before = _counts(db_session)[1]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package()))
    summary = import_file(db_session, path, "p.json")
    assert summary.suppliers == 0 and summary.buyers == 0
    assert _counts(db_session)[1] == suppliers_before
    db_session.refresh(manual)
    assert manual.value_amount == Decimal("125000.50")
    assert (
        db_session.execute(
            sa.select(sa.func.count())
            .select_from(Contract)
            .where(Contract.reference == "ocds-test-1/a1")
        ).scalar_one()
        == 1
    )


def _numbered(count: int) -> list[dict[str, Any]]:
    """`count` good releases of distinct processes, each with its own supplier and award."""
    releases = []
    for n in range(count):
        release = copy.deepcopy(package()["releases"][0])
        release["ocid"] = release["id"] = f"ocds-test-batch-{n}"
        release["parties"][1]["identifier"]["id"] = f"{n:08d}"
        release["parties"][1]["name"] = release["awards"][0]["suppliers"][0]["name"] = f"S{n} Ltd"
        releases.append(release)
    return releases


def test_a_bad_release_after_whole_batches_refuses_the_file_with_nothing_written(
    db_session: Session, tmp_path: Path
) -> None:
    """--strict: the import checks as it writes: batches already written are rolled back with
    the rest. Without it, the bad date is a finding and the release is imported without it."""
    from registry.opendata.writing import CHUNK

    releases = _numbered(CHUNK + 10)
    bad = copy.deepcopy(releases[-1])
    bad["id"], bad["date"] = "ocds-test-bad", "yesterday"
    path = tmp_path / "late.jsonl"
    lines = [json.dumps(r) for r in [*releases, bad]]
    path.write_text("\n".join(lines) + "\n")
    before = _counts(db_session)
    try:
        import_file(db_session, path, path.name, strict=True)
    except ImportRefused as exc:
        assert exc.messages == [
            f"late.jsonl: line {CHUNK + 11}.date: must be an ISO 8601 date-time, not 'yesterday'"
        ]
    else:
        raise AssertionError("the file was not refused")
    assert _counts(db_session) == before

    # The same releases without the bad one import whole, in several batches.
    path.write_text("\n".join(lines[:-1]) + "\n")
    summary = import_file(db_session, path, path.name, strict=True)
    assert (summary.releases, summary.created, summary.suppliers) == (CHUNK + 10,) * 3
    assert _counts(db_session)[0] == before[0] + CHUNK + 10

    # Without --strict the bad one imports too, its date left out and reported.
    path.write_text("\n".join(lines) + "\n")
    summary = import_file(db_session, path, path.name)
    assert (summary.releases, summary.unchanged, summary.updated) == (CHUNK + 11, CHUNK + 10, 0)
    assert summary.findings == {"invalid-date": 1}
    release = db_session.execute(
        sa.select(ImportedRelease).where(ImportedRelease.release_id == "ocds-test-bad")
    ).scalar_one()
    assert release.release_date is None and release.outcome == "imported"
