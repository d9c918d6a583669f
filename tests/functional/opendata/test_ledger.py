"""The import ledger (issue 11): every import, good or refused, on the real files of ../shared/data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.opendata.models import ImportedRelease, ImportRun
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA, app_on, rolled_back_connection
from tests.functional.badinput.test_csv_import import HEADER
from tests.functional.opendata.test_pages import _collect_webob_spools, _upload

MEXICO = SHARED_DATA / "mexico-jalisco-2018" / "release-packages"
ONE = "ocds-xs1qbl-SFIN-03-0001-00-2017"
SEVEN = "ocds-xs1qbl-SFIN-03-0007-00-2017"
UK_PACKAGE = SHARED_DATA / "uk-contracts-finder-2025" / "release-package-2025-01-23.json"
PUBLISHER = "SEPAF/DGA | DIR.GRAL. DE ABASTECEMIENTOS (SUB-ADMINISTRACIÓN)"


def _release_file(ocid: str, tag: str) -> Path:
    return next(MEXICO.glob(f"{ocid}-*-{tag}.json"))


def _entries(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(ImportRun).order_by("id"))]
    finally:
        engine.dispose()


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_cli_imports_leave_a_ledger_of_what_was_kept_skipped_and_missing(
    database_factory: Any, wsgi_app: Any, tmp_path: Path
) -> None:
    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    contract = _release_file(ONE, "contract")
    tender = _release_file(ONE, "tender")
    planning = _release_file(SEVEN, "planning")
    # A real release twice in one file: repeated, taken in once.
    line = (SHARED_DATA / "uk-contracts-finder-2025" / "releases.jsonl").read_text().splitlines()[0]
    repeated = tmp_path / "repeated.jsonl"
    repeated.write_text(f"{line}\n{line}\n")

    for path in (contract, tender, planning, planning, repeated):
        result = run_cli(ini, "import", "ocds", str(path))
        assert result.exit_code == 0, result.output
    assert "import ledger entry 6." in run_cli(ini, "import", "ocds", str(contract)).output
    contracts_before = _count(url, "contracts")
    events_before = _count(url, "audit_events")
    bad = SHARED_DATA / "invalid-missing-ocid.json"
    result = run_cli(ini, "import", "ocds", "--strict", str(bad))
    assert result.exit_code == 1
    assert "the refusal is import ledger entry 7." in result.stderr

    runs = _entries(url)
    assert [r["source"] for r in runs] == [
        contract.name,
        tender.name,
        planning.name,
        planning.name,
        "repeated.jsonl",
        contract.name,
        bad.name,
    ]
    first, older, seven, again, dup, _, refused = runs
    assert first["outcome"] == "imported" and first["via"] == "command line"
    assert first["publisher"] == PUBLISHER
    assert first["file_sha256"] == hashlib.sha256(contract.read_bytes()).hexdigest()
    assert first["file_bytes"] == contract.stat().st_size
    assert first["started_at"] <= first["finished_at"]
    assert first["releases_read"] == 1
    assert first["records_created"] == 1 and first["skipped"] == 0
    # The tender is older than the contract release already held for the process.
    assert older["out_of_order"] == 1 and older["skipped"] == 1
    assert older["details"]["skip_reasons"] == [
        {
            "reason": "older than a release already imported",
            "count": 1,
            "examples": [f"releases[0]: {ONE} release {tender.stem}"],
        }
    ]
    # Same publisher, another file: nothing is missing (a paged publication is not a loss); the
    # planning release has nothing the registry records.
    assert seven["missing"] == 0
    assert seven["details"]["skip_reasons"][0]["reason"] == "no award"
    assert again["unchanged"] == 1 and again["missing"] == 0
    assert dup["duplicates"] == 1 and dup["releases_read"] == 2
    assert dup["details"]["duplicate_examples"][0].startswith("line 2: ")
    # A JSON Lines file of bare releases names no publisher: it is compared with itself only.
    assert dup["publisher"] is None and dup["source_key"] == "ocds file: repeated.jsonl"

    # The refused file: its ledger entry says why, and nothing else was written.
    assert refused["outcome"] == "refused"
    assert refused["file_sha256"] == hashlib.sha256(bad.read_bytes()).hexdigest()
    assert f"{bad.name}: releases[0].ocid: is missing" in refused["details"]["problems"]
    assert refused["details"]["problem_count"] >= 3
    assert _count(url, "contracts") == contracts_before
    assert _count(url, "audit_events") == events_before
    assert _count(url, "import_run_ocids") == 6  # one per good run: each holds one process

    # A dated snapshot of the same database holds the ledger beside the other tables.
    result = run_cli(ini, "export", "snapshot", "--out", str(tmp_path / "snapshots"))
    assert result.exit_code == 0, result.output
    (snapshot,) = (tmp_path / "snapshots").iterdir()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert snapshot.name == manifest["date"]
    listed = {f["name"]: f for f in manifest["files"]}
    assert {"ocds-release-package.json", "contracts.csv", "imports.csv"} <= set(listed)
    for name, entry in listed.items():
        assert hashlib.sha256((snapshot / name).read_bytes()).hexdigest() == entry["sha256"]
    assert len((snapshot / "imports.csv").read_text().splitlines()) == 1 + 7

    # The public pages, the API and the download show the same ledger.
    engine = create_engine(url)
    try:
        with rolled_back_connection(engine) as connection:
            app = app_on(wsgi_app, connection)
            page = app.get("/data/imports")
            assert page.html.select("tbody")[-1].select("tr")[0].select("a")[0]["href"] == (
                "/data/imports/7"
            )
            assert f"ocds: {PUBLISHER}" in page.text
            # One publisher's imports: the five of Jalisco release packages, and no others.
            page = page.click(f"ocds: {PUBLISHER}")
            assert "Showing 1 to 5 of 5 imports" in page.text
            detail = app.get("/data/imports/2")
            assert "Older than a release already imported" in detail.text
            assert f"releases[0]: {ONE} release {tender.stem}" in detail.text
            detail = app.get("/data/imports/7")
            assert "nothing from it was written" in detail.text
            assert "releases[0].ocid: is missing" in detail.text
            app.get("/data/imports/99", status=404)

            body = app.get("/api/v1/imports?limit=2").json
            assert [e["id"] for e in body["data"]] == [1, 2]
            assert body["data"][1]["skip_reasons"][0]["count"] == 1
            body = app.get(body["links"]["next"]).json
            assert [e["id"] for e in body["data"]] == [3, 4]
            entry = app.get("/api/v1/imports/7").json
            assert entry["outcome"] == "refused" and entry["url"].endswith("/data/imports/7")
            app.get("/api/v1/imports/99", status=404)
            app.get("/api/v1/imports/x", status=404)  # not a number: no such entry

            rows = app.get("/data/imports.csv").text.splitlines()
            assert rows[0].startswith("id,kind,source,via,publisher")
            assert len(rows) == 1 + 7
            assert json.loads(app.get("/data/imports.json").text)[6]["outcome"] == "refused"
    finally:
        engine.dispose()

    # CSV imports are in the ledger too: a good one with its counts, a refused one with why.
    good = tmp_path / "suppliers.csv"
    good.write_bytes(HEADER + b"Ledger Test Systems Ltd,01234599,,,no,,,no\n")
    assert run_cli(ini, "import", "csv", "suppliers", str(good)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(HEADER + b"Good Name Ltd,not-a-number,abc,,perhaps,,,no\n")
    assert run_cli(ini, "import", "csv", "suppliers", str(bad)).exit_code == 1
    csv_good, csv_bad = _entries(url)[-2:]
    assert csv_good["kind"] == "csv suppliers" and csv_good["outcome"] == "imported"
    assert (csv_good["releases_read"], csv_good["records_created"]) == (1, 1)
    assert csv_bad["outcome"] == "refused"
    assert csv_bad["file_sha256"] == hashlib.sha256(bad.read_bytes()).hexdigest()
    assert csv_bad["details"]["problems"][0].startswith(f"{bad}:2: column ")

    # The same file from the same publisher, imported again without a process it held before:
    # the process is missing, named on the entry's page.
    package = json.loads(UK_PACKAGE.read_text())
    feed = tmp_path / "feed" / UK_PACKAGE.name
    feed.parent.mkdir()
    for releases in (package["releases"][:3], package["releases"][:2]):
        feed.write_text(json.dumps({**package, "releases": releases}))
        assert run_cli(ini, "import", "ocds", str(feed)).exit_code == 0
    gone = {r["ocid"] for r in package["releases"][:3]} - {
        r["ocid"] for r in package["releases"][:2]
    }
    before, after = _entries(url)[-2:]
    assert before["publisher"] == after["publisher"] == "Cabinet Office"
    assert before["missing"] == 0
    assert after["missing"] == len(gone) == 1
    assert after["details"]["missing_ocids"] == sorted(gone)
    engine = create_engine(url)
    try:
        with rolled_back_connection(engine) as connection:
            page = app_on(wsgi_app, connection).get(f"/data/imports/{after['id']}")
            assert "1 process(es) that earlier imports of" in page.text
            assert next(iter(gone)) in page.text
    finally:
        engine.dispose()


def test_upload_of_a_refused_file_leaves_only_its_ledger_entry(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")

    def count(model: Any) -> int:
        db_session.expire_all()
        return db_session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()

    before = (count(Contract), count(ImportedRelease), count(AuditEvent), count(ImportRun))
    path = SHARED_DATA / "invalid-truncated-release-package.json"
    page = _upload(webtest_app, path.name, path.read_bytes(), status=400)
    _collect_webob_spools()
    assert "not valid JSON" in page.text
    after = (count(Contract), count(ImportedRelease), count(AuditEvent), count(ImportRun))
    assert after == (*before[:3], before[3] + 1)
    run = db_session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
    assert run is not None and run.outcome == "refused" and run.via == "upload"
    assert run.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any("not valid JSON" in p for p in run.details["problems"])
    # The signed-in admin still sees the page as theirs after the import's rollback.
    assert "Sign out" in page.text

    # A good upload goes to its ledger entry.
    good = _release_file(SEVEN, "planning")
    page = _upload(webtest_app, good.name, good.read_bytes()).follow()
    _collect_webob_spools()
    assert good.name in page.text and "Imported" in page.text
    assert webtest_app.get("/data/imports").text.count("Refused") >= 1
