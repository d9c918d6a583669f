"""Proof on real data (issue 17): every real publication under ../shared/data imports through
the real command, with contracts for at least 80% of its awards with suppliers, its faults
recorded as findings, and `registry detect` runs on the result.

The files are found by walking the folder, so a publication added later is covered too. The
awards with suppliers are counted here independently of the importer: each ocid's releases
compiled with ocdsmerge (a record's compiledRelease where it has one), then the awards whose
`suppliers` array is not empty.
"""

from __future__ import annotations

import collections
import functools
import gzip
import json
import warnings
from pathlib import Path
from typing import Any

import ocdsmerge
import ocdsmerge.exceptions
import pytest
import sqlalchemy as sa

from registry.db import create_engine
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA, app_on, rolled_back_connection

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "ocds" / "release-schema-1.1.4.json"
SHARE = 0.8


def real_files() -> list[Path]:
    return sorted(
        path
        for pattern in ("*.json", "*.jsonl", "*.json.gz")
        for path in SHARED_DATA.rglob(pattern)
        if not path.name.startswith("invalid-")
    )


def _documents(path: Path) -> list[Any]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = raw.decode("utf-8-sig")
    if ".jsonl" in path.suffixes:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(text)]


@functools.cache
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=json.loads(SCHEMA.read_text()))


def compiled_processes(path: Path) -> dict[str, dict[str, Any]]:
    """Each ocid's compiled release, as a reader of the file would make it."""
    with warnings.catch_warnings():
        # ocdsmerge warns of repeated ids (Colombia's awards), and merges them.
        warnings.simplefilter("ignore", ocdsmerge.exceptions.OCDSMergeWarning)
        return _compiled_processes(path)


def _compiled_processes(path: Path) -> dict[str, dict[str, Any]]:
    releases: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    compiled: dict[str, dict[str, Any]] = {}
    for document in _documents(path):
        if not isinstance(document, dict):
            continue
        for record in document.get("records") or []:
            release = record.get("compiledRelease")
            if not isinstance(release, dict):
                embedded = record.get("releases") or []
                if not embedded or any("date" not in r or "url" in r for r in embedded):
                    continue  # links only: nothing to compile
                release = _merger().create_compiled_release(embedded)
            compiled[record.get("ocid") or release["ocid"]] = release
        items = document.get("releases") or ([document] if "ocid" in document else [])
        for release in items:
            if isinstance(release, dict) and isinstance(release.get("ocid"), str):
                releases[release["ocid"]].append(release)
    for ocid, found in releases.items():
        compiled[ocid] = _merger().create_compiled_release(
            sorted(found, key=lambda r: str(r.get("date") or ""))
        )
    return compiled


def awards_with_suppliers(processes: dict[str, dict[str, Any]]) -> int:
    return sum(
        1
        for release in processes.values()
        for award in release.get("awards") or []
        if isinstance(award, dict) and award.get("suppliers")
    )


def _rows(url: str, query: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), params))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_every_real_publication_imports_with_its_contracts_and_findings(
    database_factory: Any, wsgi_app: Any, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    files = real_files()
    assert len(files) >= 40  # the folder as described in its README, or more
    runs: dict[Path, dict[str, Any]] = {}
    for path in files:
        result = run_cli(ini, "import", "ocds", "--json", str(path))
        assert result.exit_code == 0, f"{path}: {result.output}"
        runs[path] = json.loads(result.stdout)

    short = []
    for path in files:
        processes = compiled_processes(path)
        want = awards_with_suppliers(processes)
        ocids = list(processes)
        found = sum(_count_contracts(url, ocids[i : i + 500]) for i in range(0, len(ocids), 500))
        if found < SHARE * want:
            short.append((path.name, found, want))
    assert short == []

    result = run_cli(ini, "detect", "--json")
    assert result.exit_code == 0, result.output

    # The faults the data's README names are findings, with their JSON path and a place.
    findings = {
        (source, rule, path): (count, example, where)
        for source, rule, path, count, example, where in _rows(
            url,
            "SELECT r.source, f.rule, f.path, f.count, f.example, f.example_where "
            "FROM import_findings f JOIN import_runs r ON r.id = f.run_id",
        )
    }
    moldova = findings[("moldova-releases.json", "empty-string", "releases[].tender.value.amount")]
    assert moldova[0] > 0 and moldova[1] == '""'
    assert moldova[2].startswith("releases[") and "(ocid ocds-" in moldova[2]
    uk = findings[("uk-contracts-finder-releases.json", "repeated-release-id", "releases[].id")]
    assert uk[0] == 10
    paraguay = findings[("paraguay-records.json", "record-links-only", "records[]")]
    assert paraguay[0] == 2
    (entry,) = _rows(
        url, "SELECT skipped, details FROM import_runs WHERE source = 'paraguay-records.json'"
    )
    details = entry[1] if isinstance(entry[1], dict) else json.loads(entry[1])
    reasons = {r["reason"]: r["count"] for r in details["skip_reasons"]}
    assert reasons["a record that only links to its releases"] == 2

    # The ledger's page of the Moldova import shows the findings the import wrote.
    ((run_id,),) = _rows(url, "SELECT id FROM import_runs WHERE source = 'moldova-releases.json'")
    engine = create_engine(url)
    try:
        with rolled_back_connection(engine) as connection:
            page = app_on(wsgi_app, connection).get(f"/data/imports/{run_id}")
            assert "empty-string" in page.text
            assert "releases[].tender.value.amount" in page.text
    finally:
        engine.dispose()


def _count_contracts(url: str, ocids: list[str]) -> int:
    if not ocids:
        return 0
    query = sa.text("SELECT count(*) FROM contracts WHERE ocid IN :ocids").bindparams(
        sa.bindparam("ocids", expanding=True)
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(query, {"ocids": ocids}).scalar_one()
    finally:
        engine.dispose()
