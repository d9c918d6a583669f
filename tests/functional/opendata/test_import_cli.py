"""`registry import ocds` on the real files in ../shared/data and on the broken ones."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registry.db import create_engine
from registry.identifiers import normalise_name
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA

REAL = {
    "armenia": sorted((SHARED_DATA / "armenia-armeps-2018").glob("*.json")),
    "uk-2025-package": [
        SHARED_DATA / "uk-contracts-finder-2025" / "release-package-2025-01-23.json"
    ],
    "uk-2025-jsonl": [SHARED_DATA / "uk-contracts-finder-2025" / "releases.jsonl"],
    "uk-2015": [SHARED_DATA / "uk-contracts-finder-2015" / "release-packages.jsonl"],
    "mexico-records": sorted(
        (SHARED_DATA / "mexico-jalisco-2018" / "record-packages").glob("*.json")
    ),
    "mexico-releases": sorted(
        (SHARED_DATA / "mexico-jalisco-2018" / "release-packages").glob("*.json")
    ),
}
TABLES = (
    "contracts",
    "suppliers",
    "buyers",
    "supplier_groups",
    "imported_releases",
    "audit_events",
)


def _releases(path: Path) -> list[dict[str, Any]]:
    """A plain json walk, independent of the importer's streaming reader."""
    docs = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if path.suffix == ".jsonl"
        else [json.loads(path.read_text())]
    )
    out = []
    for doc in docs:
        if "records" in doc:
            out += [r["compiledRelease"] for r in doc["records"]]
        elif "releases" in doc:
            out += doc["releases"]
        else:
            out.append(doc)
    return out


def _date(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected(paths: list[Path]) -> dict[str, int]:
    """Contracts: one per award with a named supplier, a buyer and a value (one per supplier,
    with or without a value, when several share an award); releases older than one already seen
    for the same ocid change nothing."""
    releases = [r for p in paths for r in _releases(p)]
    latest: dict[str, datetime.datetime] = {}
    contracts: dict[tuple[str, str], int] = {}
    suppliers: set[tuple[str, str]] = set()
    buyers: set[str] = set()
    for r in releases:
        date = _date(r["date"])
        if r["ocid"] in latest and date < latest[r["ocid"]]:
            continue
        latest[r["ocid"]] = date
        parties = {str(p.get("id")): p for p in r.get("parties", [])}
        buyer = r.get("buyer") or next(
            (p for p in parties.values() if {"buyer", "procuringEntity"} & set(p.get("roles", []))),
            None,
        )
        values = {str(c.get("awardID")): c.get("value") for c in r.get("contracts", [])}
        for award in r.get("awards", []):
            named = []
            for s in award.get("suppliers") or []:
                full = {**parties.get(str(s.get("id")), {}), **{k: v for k, v in s.items() if v}}
                if not full.get("name"):
                    continue
                # A supplier is known by its identifier, else its party id, else its name.
                ident = full.get("identifier") or {}
                if ident.get("scheme") and ident.get("id"):
                    key = f"ID:{ident['scheme']}-{ident['id']}"
                else:
                    key = str(full["id"]) if full.get("id") else full["name"].strip().lower()
                if key not in [k for _, k in named]:
                    named.append((full["name"].strip(), key))
            value = (award.get("value") or {}).get("amount")
            if value is None:
                value = (values.get(str(award["id"])) or {}).get("amount")
            # Parties of one award that are one supplier (same name, not two identifiers) are one.
            groups: dict[str, set[str]] = {}
            for name, key in named:
                groups.setdefault(normalise_name(name) or name.casefold(), set()).add(key)
            distinct = sum(
                max(1, len({k for k in keys if k.startswith("ID:")})) for keys in groups.values()
            )
            if not named or buyer is None or (distinct == 1 and value is None):
                continue
            name = buyer.get("name") or parties.get(str(buyer.get("id")), {}).get("name") or ""
            buyers.add(normalise_name(name) or name.casefold())
            contracts[(r["ocid"], str(award["id"]))] = distinct
            suppliers.update((key, name) for name, key in named)
    return {
        "releases": len(releases),
        "contracts": sum(contracts.values()),
        "suppliers": _count_suppliers(suppliers),
        "buyers": len(buyers),
    }


def _count_suppliers(suppliers: set[tuple[str, str]]) -> int:
    # Suppliers are matched by identifier, else by name: a name stands for one supplier unless
    # several identifiers go by it.
    by_name: dict[str, set[str]] = {}
    for key, name in suppliers:
        by_name.setdefault(normalise_name(name) or name.casefold(), set()).add(key)
    return sum(max(1, len({k for k in keys if k.startswith("ID:")})) for keys in by_name.values())


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
            }
    finally:
        engine.dispose()


@pytest.fixture
def ini(database_factory: Any, tmp_path: Path) -> tuple[Path, str]:
    url = database_factory.fresh()
    return write_ini(tmp_path, url), url


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_import_with_the_counts_of_a_plain_walk(name: str, ini: Any) -> None:
    path, url = ini
    files = REAL[name]
    result = run_cli(path, "import", "ocds", "--json", *map(str, files))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    want = expected(files)
    assert summary["releases"] == want["releases"]
    assert summary["contracts"] + summary["contracts_updated"] >= want["contracts"]
    rows = counts(url)
    assert rows["contracts"] == want["contracts"]
    assert summary["suppliers"] == rows["suppliers"] == want["suppliers"]
    assert summary["buyers"] == rows["buyers"] == want["buyers"]
    assert rows["imported_releases"] == len(
        {(r["ocid"], r["id"]) for f in files for r in _releases(f)}
    )
    assert summary["skipped"] == sum(summary["skip_reasons"].values())

    # Importing the same files again changes nothing.
    again = run_cli(path, "import", "ocds", "--json", *map(str, files))
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert (second["contracts"], second["suppliers"], second["buyers"]) == (0, 0, 0)
    assert second["unchanged"] == want["releases"]
    after = counts(url)
    # One audit event per import run, nothing else.
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in rows.items() if k != "audit_events"
    }


BROKEN = {
    "invalid-truncated-release-package.json": ["releases[1]: not valid JSON"],
    "invalid-wrong-types.json": [
        "releases[0].id: must be a string, not the number 581847",
        "releases[0].date: must be an ISO 8601 date-time, not 'yesterday'",
        "releases[0].tender.value.amount: must be a number, not '44,341.25'",
        "releases[0].awards: must be an array",
        "releases[1]: not a JSON object",
        "releases[3].awards[0].value.amount: is not a finite number below 10^16",
        'package.version: must be a string such as "1.1"',
    ],
    "invalid-missing-ocid.json": [
        "releases[0].ocid: is missing",
        "releases[1].ocid: must not be empty",
        "releases[3]: repeats the ocid and id of releases[2] with different content",
    ],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_are_refused_whole_with_strict(name: str, ini: Any) -> None:
    path, url = ini
    good = (
        SHARED_DATA / "mexico-jalisco-2018" / "record-packages" / "ocds-xs1qbl-02-0070-00-2017.json"
    )
    assert run_cli(path, "import", "ocds", str(good)).exit_code == 0
    before = counts(url)
    result = run_cli(path, "import", "ocds", "--strict", str(SHARED_DATA / name))
    assert result.exit_code == 1
    for message in BROKEN[name]:
        assert f"{name}: {message}" in result.stderr
    assert f"{name}: refused; nothing from it was imported." in result.stderr
    assert counts(url) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("truncated.json", None, "truncated.json: releases[1]: not valid JSON"),
        ("rows.json", b'{"rows": [{"ocid": "x"}]}', "not a release package, record package"),
        ("numbers.jsonl", b"1\n[2]\n", "numbers.jsonl: line 1: not a JSON object"),
    ],
)
def test_unreadable_or_not_ocds_files_are_refused_whole_without_strict(
    name: str, content: bytes | None, message: str, ini: Any, tmp_path: Path
) -> None:
    path, url = ini
    source = SHARED_DATA / "invalid-truncated-release-package.json"
    file = tmp_path / name
    file.write_bytes(source.read_bytes() if content is None else content)
    before = counts(url)
    result = run_cli(path, "import", "ocds", str(file))
    assert result.exit_code == 1
    assert message in result.stderr
    assert f"{name}: refused; nothing from it was imported." in result.stderr
    assert counts(url) == before
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT outcome FROM import_runs")).scalars().all()
            findings = conn.execute(sa.text("SELECT count(*) FROM import_findings")).scalar()
    finally:
        engine.dispose()
    assert (runs, findings) == (["refused"], 0)  # its ledger entry, and nothing else


# Without --strict: what the README says each hand-made file breaks, as (rule, path, example).
FAULTS = {
    "invalid-wrong-types.json": [
        ("package-metadata", "package.version", "1.1"),
        ("package-metadata", "package.publisher", '"Cabinet Office"'),
        ("package-metadata", "package.publishedDate", '"18/10/2022 17:08"'),
        ("missing-release-id", "releases[].id", "581847"),
        ("invalid-date", "releases[].date", '"yesterday"'),
        ("wrong-type", "releases[].tag", '"award"'),
        ("wrong-type", "releases[].buyer", '"THE FINANCIAL CONDUCT AUTHORITY"'),
        ("wrong-type", "releases[].tender.title", '["RStudio License and Support"]'),
        ("wrong-type", "releases[].tender.numberOfTenderers", '"three"'),
        ("wrong-type", "releases[].tender.value.amount", '"44,341.25"'),
        ("invalid-currency", "releases[].tender.value.currency", "826"),
        ("wrong-type", "releases[].awards", None),
        ("derived-contract-id", "releases[].contracts[].id", "null"),
        ("wrong-type", "releases[].contracts[].period", '"2022-11-17/2024-03-31"'),
        ("not-an-object", "releases[]", "null"),
        ("invalid-amount", "releases[].awards[].value.amount", "1E+309"),
    ],
    "invalid-missing-ocid.json": [
        ("missing-ocid", "releases[].ocid", "null"),
        ("repeated-release-id", "releases[].id", '"dup-1"'),
    ],
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_faulty_files_import_what_they_can_with_their_faults_as_findings(
    name: str, ini: Any
) -> None:
    """Neither holds a usable award: no contract is written, and every fault is a finding."""
    path, url = ini
    before = counts(url)
    result = run_cli(path, "import", "ocds", "--json", str(SHARED_DATA / name))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    after = counts(url)
    assert after["contracts"] == before["contracts"]
    assert summary["findings"] == sum(summary["findings_by_rule"].values()) > 0
    assert summary["skipped"] == summary["releases"] == 4
    (file,) = summary["files"]
    assert file["file"] == name and file["findings_by_rule"] == summary["findings_by_rule"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = {
                (rule, where): example
                for rule, where, example in conn.execute(
                    sa.text("SELECT rule, path, example FROM import_findings")
                )
            }
            indicators = conn.execute(
                sa.text("SELECT with_value, with_classification FROM import_runs")
            ).one()
    finally:
        engine.dispose()
    for rule, where, example in FAULTS[name]:
        assert (rule, where) in rows
        if example is not None:
            assert rows[(rule, where)] == example
    assert indicators == (0, 0)  # nothing usable is counted as stated
    # In words: each file's findings and its most frequent rules.
    text = run_cli(path, "import", "ocds", str(SHARED_DATA / name)).stdout
    top, count = next(iter(summary["findings_by_rule"].items()))
    assert f"; {summary['findings']} findings ({top} {count}" in text


def test_messages_are_capped_with_a_count(ini: Any, tmp_path: Path) -> None:
    path, _url = ini
    bad = tmp_path / "many.jsonl"
    bad.write_text(
        "".join(
            json.dumps({"ocid": "", "id": "x", "date": "2020-01-01T00:00:00Z"}) + "\n"
            for _ in range(30)
        )
    )
    result = run_cli(path, "import", "ocds", "--strict", str(bad))
    assert result.exit_code == 1
    assert "many.jsonl: line 1: ocid: must not be empty" in result.stderr.replace(
        "line 1.ocid", "line 1: ocid"
    )
    assert "many.jsonl: … and 10 more problems" in result.stderr


def test_gzipped_json_lines_import_like_the_plain_file(ini: Any, tmp_path: Path) -> None:
    import gzip

    path, url = ini
    source = SHARED_DATA / "uk-contracts-finder-2025" / "releases.jsonl"
    packed = tmp_path / "releases.jsonl.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    result = run_cli(path, "import", "ocds", "--json", str(packed))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    want = expected([source])
    assert (summary["releases"], summary["suppliers"], summary["buyers"]) == (
        want["releases"],
        want["suppliers"],
        want["buyers"],
    )
    assert counts(url)["contracts"] == want["contracts"]


def test_detection_runs_on_imported_data(ini: Any, tmp_path: Path) -> None:
    """Armenia's ministries are concentrated markets: detection flags them, and each flag's HHI
    is the one recomputed from the CSV export alone."""
    from tests.functional.opendata.test_export import _from_csv

    path, _url = ini
    assert run_cli(path, "import", "ocds", *map(str, REAL["armenia"])).exit_code == 0
    result = run_cli(path, "detect", "--json")
    assert result.exit_code == 0, result.output
    flags = [f for f in json.loads(result.stdout) if f["detector"] == "market_concentration"]
    assert flags
    out = tmp_path / "csv"
    assert run_cli(path, "export", "csv", "--out", str(out)).exit_code == 0
    markets = {f["metrics"]["market"] for f in flags}
    depth = len(next(iter(markets)).removeprefix("cpv-"))
    recomputed = _from_csv(out, depth)
    for flag in flags:
        metrics = flag["metrics"]
        if metrics.get("window_from") is None:
            want = recomputed[metrics["market"]][metrics["basis"]]
            assert metrics["hhi"] == pytest.approx(round(want, 1), abs=0.05)


def test_an_import_leaves_the_planner_statistics_of_what_it_wrote(ini: Any) -> None:
    path, url = ini
    result = run_cli(path, "import", "ocds", *map(str, REAL["armenia"][:2]))
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                query = "SELECT count(*) FROM pg_stats WHERE tablename = 'contracts'"
            else:
                query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contracts'"
            assert conn.execute(sa.text(query)).scalar_one() > 0
    finally:
        engine.dispose()


def _contracts_in_statistics(conn: Any) -> float:
    """How many contracts the planner's statistics say there are (as the last ANALYZE saw)."""
    if conn.dialect.name == "postgresql":
        query = "SELECT reltuples FROM pg_class WHERE relname = 'contracts'"
    else:
        query = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'contracts' AND stat != '' LIMIT 1"
    value = conn.execute(sa.text(query)).scalar_one()
    return float(str(value).split()[0])


def test_a_small_import_into_a_larger_registry_keeps_the_contracts_statistics(
    ini: Any, tmp_path: Path
) -> None:
    """A day's notices into a national registry: no ANALYZE of the contracts (seconds at a
    million) for a change their statistics still describe; a bulk load still has one. On
    PostgreSQL the change log, which the next `registry detect` joins, is analysed still."""
    path, url = ini
    assert run_cli(path, "import", "ocds", *map(str, REAL["armenia"])).exit_code == 0
    release = {
        "ocid": "ocds-test-small-1",
        "id": "small-1",
        "date": "2024-01-02T00:00:00Z",
        "tag": ["award"],
        "initiationType": "tender",
        "parties": [
            {"id": "B-SMALL", "name": "Small Import Council", "roles": ["buyer"]},
            {"id": "S-SMALL", "name": "Small Import Supplies Ltd", "roles": ["supplier"]},
        ],
        "buyer": {"id": "B-SMALL", "name": "Small Import Council"},
        "awards": [
            {
                "id": "small-award-1",
                "status": "active",
                "date": "2024-01-02T00:00:00Z",
                "value": {"amount": 1000, "currency": "GBP"},
                "suppliers": [{"id": "S-SMALL", "name": "Small Import Supplies Ltd"}],
            }
        ],
    }
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps(release) + "\n")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one()
            assert _contracts_in_statistics(conn) == held  # the bulk load's ANALYZE
        result = run_cli(path, "import", "ocds", str(small))
        assert result.exit_code == 0, result.output
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one() == held + 1
            assert _contracts_in_statistics(conn) == held
            if conn.dialect.name == "postgresql":
                logged = conn.execute(sa.text("SELECT count(*) FROM change_log")).scalar_one()
                believed = "SELECT reltuples FROM pg_class WHERE relname = 'change_log'"
                assert conn.execute(sa.text(believed)).scalar_one() == logged
    finally:
        engine.dispose()
