"""/data, its downloads, and the admin upload form, through the real app."""

from __future__ import annotations

import csv
import datetime
import gc
import io
import json
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.opendata.models import ImportedRelease, ImportRun
from registry.records import Publication
from tests.common.db.core import ContractFactory
from tests.conftest import SHARED_DATA
from tests.unit.opendata.test_import_fuzz import package


def _count(db: Session, model: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.fixture
def contracts(db_session: Session) -> dict[str, Contract]:
    made = {
        "public": ContractFactory(title="Public GP system", reference="pub-1"),
        "draft": ContractFactory(title="Draft call-off", publication=Publication.draft),
        "retracted": ContractFactory(
            title="Retracted call-off",
            retracted_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
            retraction_reason="duplicate",
        ),
    }
    db_session.commit()
    return made


def test_data_page_lists_downloads_and_the_dictionary(webtest_app: webtest.TestApp) -> None:
    page = webtest_app.get("/data")
    assert "Open data" in page.text
    for table in ("contracts", "suppliers", "buyers", "frameworks", "supplier_groups"):
        assert f"/data/{table}.csv" in page.text and f"/data/{table}.json" in page.text
        assert f'id="dictionary-{table}"' in page.text
    assert "/data/ocds.json" in page.text
    assert 'href="/data/import"' not in page.text  # only admins see the upload link


def test_downloads_hold_published_rows_only(webtest_app: webtest.TestApp, contracts: Any) -> None:
    response = webtest_app.get("/data/contracts.csv")
    assert response.content_type == "text/csv"
    assert 'filename="contracts.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    titles = {row["title"] for row in rows}
    assert "Public GP system" in titles
    assert "Draft call-off" not in titles and "Retracted call-off" not in titles

    data = webtest_app.get("/data/contracts.json").json
    assert {row["title"] for row in data} == titles
    assert data[0]["value_amount"] == "100000.00"

    ocds = webtest_app.get("/data/ocds.json")
    assert "Public GP system" in ocds.text
    assert "Draft call-off" not in ocds.text and "Retracted call-off" not in ocds.text
    assert json.loads(ocds.text)["version"] == "1.1"


def test_unknown_tables_are_not_found(webtest_app: webtest.TestApp) -> None:
    webtest_app.get("/data/users.csv", status=404)
    webtest_app.get("/data/audit_events.json", status=404)
    webtest_app.get("/data/contracts.xml", status=404)


def _collect_webob_spools() -> None:
    """WebOb leaves the temporary files of some refused requests to the garbage collector; collect
    them here so their ResourceWarning is not reported against whichever test runs next."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _upload(
    app: webtest.TestApp, name: str, content: bytes, status: int = 303, strict: bool = False
) -> Any:
    form = app.get("/data/import").forms[0]
    form["file"] = webtest.Upload(name, content)
    form["strict"].checked = strict
    return form.submit(status=status)


def test_admin_uploads_an_ocds_file(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    # A small file: WebOb spools bodies over 10 kB to temporary files it leaves to the GC.
    name, content = "small.json", json.dumps(package()).encode()
    page = _upload(webtest_app, name, content).follow()
    assert (
        f"{name}: 1 releases, 1 contracts, 1 new suppliers, 1 new buyers, 0 skipped." in page.text
    )
    assert "0 data-quality finding(s) recorded." in page.text
    imported = (
        db_session.execute(sa.select(Contract).where(Contract.source == "ocds")).scalars().all()
    )
    assert len(imported) == 1
    assert all(c.publication == Publication.published for c in imported)
    event = db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "opendata.ocds_imported")
    ).scalar_one()
    assert event.actor_label.startswith("admin-")

    # The same file again: nothing changes.
    page = _upload(webtest_app, name, content).follow()
    assert (
        f"{name}: 1 releases, 0 contracts, 0 new suppliers, 0 new buyers, 0 skipped." in page.text
    )


def test_upload_of_a_faulty_file_imports_it_with_findings_unless_strict(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    before = (
        _count(db_session, Contract),
        _count(db_session, ImportedRelease),
        _count(db_session, AuditEvent),
    )
    path = SHARED_DATA / "invalid-missing-ocid.json"
    # Strict: refused whole, every problem listed, nothing written.
    page = _upload(webtest_app, path.name, path.read_bytes(), status=400, strict=True)
    assert "The file was not imported" in page.text
    assert "invalid-missing-ocid.json: releases[0].ocid: is missing" in page.text
    assert "releases[1].ocid: must not be empty" in page.text
    db_session.expire_all()
    after = (
        _count(db_session, Contract),
        _count(db_session, ImportedRelease),
        _count(db_session, AuditEvent),
    )
    assert after[:2] == before[:2]

    # By default: imported, its faults recorded; the result links to the ledger entry.
    page = _upload(webtest_app, path.name, path.read_bytes()).follow()
    db_session.expire_all()
    run = db_session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
    assert run is not None and run.outcome == "imported"
    assert "Imported invalid-missing-ocid.json: 4 releases, 0 contracts" in page.text
    assert "3 data-quality finding(s) recorded: 3 findings (missing-ocid 2" in page.text
    link = page.html.select_one(f'a[href="/data/imports/{run.id}"]')
    assert link is not None and f"import ledger entry {run.id}" in link.text
    assert _count(db_session, ImportedRelease) == before[1] + 1  # the repeated id, kept once
    # The result is shown once.
    assert "finding(s) recorded" not in webtest_app.get("/data/import").text

    page = _upload(webtest_app, "bad.json", b"\xff\xfe not json", status=400)
    assert "bad.json: not valid JSON" in page.text


def test_upload_without_a_file_is_refused(webtest_app: webtest.TestApp, login_as: Any) -> None:
    login_as("admin")
    form = webtest_app.get("/data/import").forms[0]
    page = form.submit(status=400)
    assert "Choose an OCDS file to upload" in page.text
    _collect_webob_spools()


@pytest.mark.parametrize("role", ["officer", "auditor", "supplier"])
def test_upload_needs_the_admin_role(
    webtest_app: webtest.TestApp, login_as: Any, role: str
) -> None:
    login_as(role)
    webtest_app.get("/data/import", status=403)


def test_upload_refuses_the_public_and_requests_without_csrf(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    response = webtest_app.get("/data/import", status="*")
    assert response.status_int in (302, 303, 403)
    login_as("admin")
    path = (
        SHARED_DATA / "mexico-jalisco-2018" / "record-packages" / "ocds-xs1qbl-02-0070-00-2017.json"
    )
    # A good file, but no csrf_token: refused before the view runs.
    webtest_app.post(
        "/data/import", upload_files=[("file", path.name, path.read_bytes())], status=400
    )
    assert _count(db_session, ImportedRelease) == 0
    _collect_webob_spools()


def test_imported_data_shows_on_the_public_pages(
    webtest_app: webtest.TestApp, db_session: Session, tmp_path: Any
) -> None:
    from registry.opendata.importer import import_file

    for path in sorted((SHARED_DATA / "armenia-armeps-2018").glob("*.json"))[:3]:
        import_file(db_session, path, path.name)
    db_session.commit()
    contract = (
        db_session.execute(
            sa.select(Contract).where(Contract.source == "ocds").order_by(Contract.id)
        )
        .scalars()
        .first()
    )
    assert contract is not None
    pages = ["/data", "/contracts", "/suppliers", "/buyers", "/markets", "/flags"]
    for url in pages:
        webtest_app.get(url, status=200)
    webtest_app.get(f"/suppliers/{contract.supplier_id}", status=200)
    webtest_app.get(f"/buyers/{contract.buyer_id}", status=200)
    listed = webtest_app.get("/data/contracts.csv").text
    assert contract.reference in listed
