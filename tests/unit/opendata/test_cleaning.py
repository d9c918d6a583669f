"""The import's rules for what breaks the OCDS schema (issue 17): each is a finding with its JSON
path and an example, the faulty part is not used, and the rest of the file is imported."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.opendata.checking import release_hash
from registry.opendata.findings import FindingLog
from registry.opendata.importer import ImportRefused, import_file
from registry.opendata.models import ImportedRelease, ImportFinding, ImportRun
from registry.opendata.reader import iter_releases
from tests.unit.opendata.test_import_fuzz import package


def _release(**changes: Any) -> dict[str, Any]:
    release: dict[str, Any] = copy.deepcopy(package()["releases"][0])
    release.update(changes)
    return release


def _import(
    db: Session, tmp_path: Path, releases: list[Any], name: str = "p.json", **package_fields: Any
) -> Any:
    path = tmp_path / name
    path.write_text(json.dumps({**package(), **package_fields, "releases": releases}))
    return import_file(db, path, name)


def _findings(db: Session, run_id: int) -> dict[tuple[str, str], tuple[int, str, str]]:
    rows = db.execute(sa.select(ImportFinding).where(ImportFinding.run_id == run_id)).scalars()
    return {(f.rule, f.path): (f.count, f.example, f.example_where) for f in rows}


def _contract(db: Session, reference: str) -> Contract | None:
    db.expire_all()
    return db.execute(
        sa.select(Contract).where(Contract.reference == reference)
    ).scalar_one_or_none()


def test_empty_strings_are_missing_values(db_session: Session, tmp_path: Path) -> None:
    release = _release()
    release["awards"][0]["value"] = {"amount": "", "currency": ""}
    release["awards"][0]["date"] = ""
    release["tender"]["title"] = "  "
    summary = _import(db_session, tmp_path, [release])
    findings = _findings(db_session, summary.run_id)
    for path in ("awards[].value.amount", "awards[].value.currency", "awards[].date"):
        count, example, where = findings[("empty-string", f"releases[].{path}")]
        assert (count, example) == (1, '""')
    assert findings[("empty-string", "releases[].tender.title")][1] == '"  "'
    assert where == "releases[0].awards[0].date (ocid ocds-test-1)"
    # An award without a value (one supplier) makes no contract: nothing is guessed.
    assert summary.skip_reasons == {"award without a value": 1}
    assert _contract(db_session, "ocds-test-1/a1") is None


def test_wrong_types_are_not_used_and_nothing_is_guessed(
    db_session: Session, tmp_path: Path
) -> None:
    release = _release()
    release["tender"]["numberOfTenderers"] = "three"
    release["tender"]["procurementMethod"] = 3
    release["awards"][0]["title"] = ["GP clinical system"]
    release["awards"].append(
        {"id": "a2", "value": {"amount": "44,341.25", "currency": "GBP"}, "suppliers": "EMIS"}
    )
    summary = _import(db_session, tmp_path, [release])
    findings = _findings(db_session, summary.run_id)
    assert findings[("wrong-type", "releases[].tender.numberOfTenderers")][1] == '"three"'
    assert findings[("wrong-type", "releases[].tender.procurementMethod")][1] == "3"
    assert findings[("wrong-type", "releases[].awards[].title")][1] == '["GP clinical system"]'
    assert findings[("wrong-type", "releases[].awards[].value.amount")][1] == '"44,341.25"'
    assert findings[("wrong-type", "releases[].awards[].suppliers")][2] == (
        "releases[0].awards[1].suppliers (ocid ocds-test-1)"
    )
    contract = _contract(db_session, "ocds-test-1/a1")
    assert contract is not None
    assert contract.number_of_tenderers is None and contract.procurement_method is None
    assert contract.title == "Contract ocds-test-1"  # the array was not taken as a title
    assert _contract(db_session, "ocds-test-1/a2") is None


@pytest.mark.parametrize(
    ("amount", "shown"), [("-1", "-1"), ("1e309", "1E+309"), ("1e17", "1E+17")]
)
def test_an_unusable_amount_is_not_used(
    db_session: Session, tmp_path: Path, amount: str, shown: str
) -> None:
    path = tmp_path / "amount.json"
    path.write_text(json.dumps(package()).replace("125000.5", amount))
    summary = import_file(db_session, path, path.name)
    findings = _findings(db_session, summary.run_id)
    assert findings[("invalid-amount", "releases[].awards[].value.amount")][:2] == (1, shown)
    assert _contract(db_session, "ocds-test-1/a1") is None


def test_a_bad_currency_leaves_the_value_without_one(db_session: Session, tmp_path: Path) -> None:
    release = _release()
    release["awards"][0]["value"]["currency"] = 826
    release["awards"][0]["date"] = "yesterday"
    summary = _import(db_session, tmp_path, [release])
    findings = _findings(db_session, summary.run_id)
    assert findings[("invalid-currency", "releases[].awards[].value.currency")][1] == "826"
    assert findings[("invalid-date", "releases[].awards[].date")][1] == '"yesterday"'
    contract = _contract(db_session, "ocds-test-1/a1")
    assert contract is not None and contract.currency is None and contract.award_date is None
    run = db_session.get(ImportRun, summary.run_id)
    assert run is not None and run.with_value == 0  # an amount without a currency is no value


def test_derived_ids_are_stable_across_imports(db_session: Session, tmp_path: Path) -> None:
    release = _release()
    del release["id"]
    del release["awards"][0]["id"]
    release["contracts"][0]["id"] = None
    release["contracts"][0]["awardID"] = "derived-award-1"
    summary = _import(db_session, tmp_path, [release])
    findings = _findings(db_session, summary.run_id)
    assert findings[("missing-release-id", "releases[].id")][:2] == (1, "null")
    assert findings[("derived-award-id", "releases[].awards[].id")][2] == (
        "releases[0].awards[0].id (ocid ocds-test-1)"
    )
    assert findings[("derived-contract-id", "releases[].contracts[].id")][1] == "null"
    assert _contract(db_session, "ocds-test-1/derived-award-1") is not None
    stored = db_session.execute(
        sa.select(ImportedRelease.release_id).where(ImportedRelease.ocid == "ocds-test-1")
    ).scalar_one()
    (as_published,) = [found.release for found in iter_releases(tmp_path / "p.json")]
    assert as_published is not None
    assert stored == f"derived-{release_hash(as_published)[:16]}"  # from its content

    # The same file again: the same ids, so nothing changes.
    again = _import(db_session, tmp_path, [release])
    assert (again.unchanged, again.created, again.updated) == (1, 0, 0)


def test_repeated_award_ids_in_a_release_are_one_award(db_session: Session, tmp_path: Path) -> None:
    """As Colombia publishes: the same award told several times, merged as compiling does."""
    release = _release()
    release["awards"] *= 3
    summary = _import(db_session, tmp_path, [release])
    assert summary.created == 1
    assert (
        _findings(db_session, summary.run_id)[("repeated-award-id", "releases[].awards[].id")][0]
        == 2
    )


def test_package_faults_are_findings(db_session: Session, tmp_path: Path) -> None:
    summary = _import(
        db_session,
        tmp_path,
        [_release()],
        version=1.1,
        publisher="Cabinet Office",
        publishedDate="18/10/2022",
    )
    findings = _findings(db_session, summary.run_id)
    assert {path for rule, path in findings if rule == "package-metadata"} == {
        "package.version",
        "package.publisher",
        "package.publishedDate",
    }
    assert summary.created == 1


def test_records_are_compiled_or_skipped_with_their_reason(
    db_session: Session, tmp_path: Path
) -> None:
    release = _release()
    linked = {"ocid": "ocds-test-2", "releases": [{"url": "https://example.org/r.json"}]}
    document = {
        **{k: v for k, v in package().items() if k != "releases"},
        "records": [{"ocid": "ocds-test-1", "releases": [release]}, linked, 7],
    }
    path = tmp_path / "records.json"
    path.write_text(json.dumps(document))
    summary = import_file(db_session, path, path.name)
    assert summary.created == 1
    assert summary.skip_reasons == {
        "a record that only links to its releases": 1,
        "not a JSON object": 1,
    }
    assert summary.releases == 3
    findings = _findings(db_session, summary.run_id)
    assert findings[("record-compiled", "records[].releases")][:3] == (
        1,
        "1",
        "records[0].releases (ocid ocds-test-1)",
    )
    assert findings[("record-links-only", "records[]")][2] == "records[1] (ocid ocds-test-2)"
    assert findings[("not-an-object", "records[]")][1] == "7"


def test_what_is_not_ocds_is_refused_and_some_of_it_skipped(
    db_session: Session, tmp_path: Path
) -> None:
    for name, text in (("other.json", '{"rows": [1, 2]}'), ("other.jsonl", "[1]\n{}\n")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ImportRefused) as refused:
            import_file(db_session, path, name)
        assert "not" in refused.value.messages[0]
    # Listed as far as MAX_MESSAGES, and counted in full.
    path = tmp_path / "many.jsonl"
    path.write_text("1\n" * 30)
    with pytest.raises(ImportRefused) as refused:
        import_file(db_session, path, path.name)
    assert (len(refused.value.problems), refused.value.total) == (20, 30)
    # A line that is not OCDS among releases: skipped, and a finding.
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(_release()) + '\n{"rows": 1}\n')
    summary = import_file(db_session, path, path.name)
    assert summary.created == 1
    assert _findings(db_session, summary.run_id)[("not-ocds", "(document)")][2] == "line 2"


@pytest.mark.parametrize("name", ["bom.json", "bom.jsonl", "bom.json.gz", "bom.jsonl.gz"])
def test_a_byte_order_mark_is_read_past(db_session: Session, tmp_path: Path, name: str) -> None:
    text = json.dumps(package()) if ".jsonl" not in name else json.dumps(_release())
    raw = b"\xef\xbb\xbf" + text.encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    summary = import_file(db_session, path, name)
    assert summary.created == 1 and summary.findings == {}


def test_findings_keep_counts_complete_and_examples_bounded(
    db_session: Session, tmp_path: Path
) -> None:
    releases = []
    for n in range(300):
        release = _release(ocid=f"ocds-many-{n}", id=f"r{n}")
        release["tender"]["value"] = {"amount": "", "currency": "GBP"}
        releases.append(release)
    summary = _import(db_session, tmp_path, releases)
    rows = (
        db_session.execute(sa.select(ImportFinding).where(ImportFinding.run_id == summary.run_id))
        .scalars()
        .all()
    )
    assert [(r.rule, r.path, r.count) for r in rows] == [
        ("empty-string", "releases[].tender.value.amount", 300)
    ]
    assert rows[0].example_where == "releases[0].tender.value.amount (ocid ocds-many-0)"
    log = FindingLog()
    for n in range(100_000):
        log.add("empty-string", "releases[].tender.value.amount", "", f"releases[{n}]", "x")
    assert log.total == 100_000 and len(log.entries) == 1


def test_transparency_indicators_count_the_releases_that_state_each(
    db_session: Session, tmp_path: Path
) -> None:
    full = _release(ocid="ocds-ind-1", id="r1")
    full["tender"]["classification"] = {"scheme": "CPV", "id": "72260000"}
    full["tender"]["tenderPeriod"] = {"endDate": "2024-01-01T00:00:00Z"}
    bare = _release(ocid="ocds-ind-2", id="r2")
    bare["tender"] = {"procurementMethod": ""}
    bare["parties"][1].pop("identifier")
    bare["awards"][0]["value"] = {"amount": 10}
    tender_only = {"ocid": "ocds-ind-3", "id": "r3", "date": "2024-01-01T00:00:00Z"}
    summary = _import(db_session, tmp_path, [full, bare, tender_only, None])
    run = db_session.get(ImportRun, summary.run_id)
    assert run is not None
    assert run.releases_read == 4
    assert (
        run.with_classification,
        run.with_value,
        run.with_suppliers,
        run.with_supplier_identifier,
        run.with_procurement_method,
        run.with_tender_period,
    ) == (1, 1, 2, 1, 1, 1)


def test_a_publishers_name_with_nul_and_a_lone_surrogate_is_cleaned_into_the_ledger(
    db_session: Session, tmp_path: Path
) -> None:
    """PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate: the name is
    cleaned as any text the file gives, and the file is imported (found by the fuzz test)."""
    summary = _import(
        db_session, tmp_path, [_release()], publisher={"name": " Crown\x00 Office \ud800 "}
    )
    run = db_session.get(ImportRun, summary.run_id)
    assert run is not None and summary.created == 1
    assert run.publisher == "Crown Office ?"
    assert run.details["publishers"] == [{"name": "Crown Office ?", "packages": 1}]
