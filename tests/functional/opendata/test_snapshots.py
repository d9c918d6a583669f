"""Dated snapshots on /data (issue 11): listed with sizes and hashes, served safely."""

from __future__ import annotations

import hashlib
from pathlib import Path

import webtest
from sqlalchemy.orm import Session

from registry.opendata.snapshots import write_snapshot
from registry.records import Publication
from tests.common.db.core import ContractFactory


def test_snapshots_are_listed_and_served_with_their_hashes(
    webtest_app: webtest.TestApp, db_session: Session, root: Path
) -> None:
    assert "No snapshots have been written yet" in webtest_app.get("/data").text
    ContractFactory(title="Snapshot GP system", reference="snap-1")
    ContractFactory(title="Draft snapshot call-off", publication=Publication.draft)
    first = write_snapshot(db_session, root)
    second = write_snapshot(db_session, root)
    assert second.name == f"{first.name}-2"

    page = webtest_app.get("/data")
    assert f"Snapshot of {first.date} ({second.name})" in page.text
    for f in first.files:
        assert f["sha256"] in page.text
        href = f"/data/snapshots/{first.name}/{f['name']}"
        body = webtest_app.get(href).body
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
        assert len(body) == f["bytes"]
    contracts = webtest_app.get(f"/data/snapshots/{first.name}/contracts.csv")
    assert "Snapshot GP system" in contracts.text
    assert "Draft snapshot call-off" not in contracts.text
    assert contracts.content_type == "text/csv"
    manifest = webtest_app.get(f"/data/snapshots/{first.name}/manifest.json").json
    assert manifest["date"] == first.date

    # Unknown snapshots and files, and anything that tries to leave the snapshot: not found.
    (root / "notes.txt").write_text("not a snapshot")
    for bad in (
        "/data/snapshots/1999-01-01/contracts.csv",
        f"/data/snapshots/{first.name}/nothing.csv",
        f"/data/snapshots/{first.name}/..%2F..%2Fsession-secret",
        f"/data/snapshots/{first.name}/.",
        "/data/snapshots/..%2F/notes.txt",
        "/data/snapshots/../notes.txt",
        f"/data/snapshots/{first.name}%2F..%2F/notes.txt",
    ):
        webtest_app.get(bad, status=404)
