"""Dated snapshots of the open data (issue 11, stable archives).

`registry export snapshot` writes one directory per snapshot under the snapshot root (setting
`registry.snapshots_dir`, default `<registry.var_dir>/snapshots`): the OCDS release package, one
CSV per public table, and `manifest.json` with the date and each file's size and sha256. Why: a
published figure can be checked against the data as it stood that day, after the live data moves.

A snapshot is written into a hidden temporary directory and renamed into place, so /data never
lists a half-written one. Files are served only when the name is a snapshot name and the file is
listed in that snapshot's manifest: nothing else under the root can be reached.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from registry import PROJECT_ROOT
from registry.changes.version import mark_written
from registry.db import utcnow
from registry.opendata.export import LICENSE, TABLES
from registry.opendata.formats import write_csv
from registry.opendata.release import write_ocds

SETTING = "registry.snapshots_dir"
MANIFEST = "manifest.json"
OCDS_FILE = "ocds-release-package.json"
NAME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-[0-9]{1,3})?$")
FILE = re.compile(r"^[a-z0-9_.-]{1,100}$")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    name: str
    date: str
    created_at: str
    files: list[dict[str, Any]]

    @property
    def total_bytes(self) -> int:
        return sum(int(f["bytes"]) for f in self.files)


def snapshots_root(settings: dict[str, Any]) -> Path:
    configured = settings.get(SETTING)
    if configured:
        return Path(configured)
    return Path(settings.get("registry.var_dir") or PROJECT_ROOT / "var") / "snapshots"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _free_name(root: Path, day: datetime.date) -> str:
    name = day.isoformat()
    counter = 1
    while (root / name).exists():
        counter += 1
        name = f"{day.isoformat()}-{counter}"
    return name


def write_snapshot(db: Session, root: Path, *, uri: str | None = None) -> Snapshot:
    """Write a dated snapshot under `root`; a second one the same day gets a -2, -3… suffix."""
    root.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    work = Path(tempfile.mkdtemp(prefix=".writing-", dir=root))
    try:
        with (work / OCDS_FILE).open("w", encoding="utf-8") as handle:
            write_ocds(db, handle, **({"uri": uri} if uri else {}))
        for table in TABLES.values():
            with (work / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as handle:
                write_csv(db, table, handle)
        files = [
            {"name": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(work.iterdir())
        ]
        manifest: dict[str, Any] = {
            "date": now.date().isoformat(),
            "created_at": now.isoformat(),
            "license": LICENSE,
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        name = _free_name(root, now.date())
        work.rename(root / name)
        # /data lists the snapshots: its cached copies must be drawn again (issue 21).
        mark_written(db.connection())
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Snapshot(name, manifest["date"], manifest["created_at"], files)


def _read(root: Path, name: str) -> Snapshot | None:
    if not NAME.match(name):
        return None
    try:
        manifest = json.loads((root / name / MANIFEST).read_text(encoding="utf-8"))
        return Snapshot(name, manifest["date"], manifest["created_at"], list(manifest["files"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_snapshots(root: Path) -> list[Snapshot]:
    """Every complete snapshot under the root, newest first."""
    if not root.is_dir():
        return []
    found = (_read(root, p.name) for p in root.iterdir() if p.is_dir())
    return sorted((s for s in found if s), key=lambda s: (s.created_at, s.name), reverse=True)


def snapshot_file(root: Path, name: str, file: str) -> Path | None:
    """The file, if `name` is a snapshot and `file` is in its manifest (or is the manifest)."""
    if not FILE.match(file):
        return None
    snapshot = _read(root, name)
    if snapshot is None:
        return None
    if file != MANIFEST and file not in {f["name"] for f in snapshot.files}:
        return None
    path = root / name / file
    return path if path.is_file() else None
