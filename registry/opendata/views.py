"""/data: the downloads and their data dictionary; CSV/JSON per public table; the admin upload."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import FileResponse, Response
from pyramid.view import view_config, view_defaults

from registry.authnz import Permissions
from registry.opendata import ledger, snapshots
from registry.opendata.export import TABLES
from registry.opendata.formats import csv_text, json_text
from registry.opendata.importer import ImportRefused, import_file
from registry.opendata.limits import upload_limits
from registry.opendata.release import write_ocds
from registry.pagination import page_number, paginate_list

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# /data shows the newest few snapshots; /data/snapshots pages through them all.
SNAPSHOTS_SHOWN = 3
SNAPSHOTS_PAGE = 20
IMPORTED = "opendata.imported"  # the flash queue of an upload's result


@view_config(
    route_name="data",
    renderer="opendata/data.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def data_page(request: Request) -> dict[str, Any]:
    """A summary first, then the downloads, the latest snapshots (the rest on their own
    page) and the data dictionary, each table's columns folded away (issue 18)."""
    root = snapshots.snapshots_root(request.registry.settings)
    found = snapshots.list_snapshots(root)
    return {
        "tables": list(TABLES.values()),
        "snapshots": found[:SNAPSHOTS_SHOWN],
        "snapshot_count": len(found),
        "latest_import": request.db.execute(ledger.runs_query().limit(1)).scalar_one_or_none(),
    }


@view_config(
    route_name="data.snapshots",
    renderer="opendata/snapshots.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def snapshot_list(request: Request) -> dict[str, Any]:
    root = snapshots.snapshots_root(request.registry.settings)
    page = paginate_list(snapshots.list_snapshots(root), page_number(request), SNAPSHOTS_PAGE)
    return {"page": page}


@view_config(
    route_name="data.snapshots.file", permission=Permissions.PublicRead, request_method="GET"
)
def snapshot_download(request: Request) -> Response:
    root = snapshots.snapshots_root(request.registry.settings)
    name, file = request.matchdict["name"], request.matchdict["file"]
    path = snapshots.snapshot_file(root, name, file)
    if path is None:
        raise HTTPNotFound()
    content_type = "text/csv" if path.suffix == ".csv" else "application/json"
    response = FileResponse(str(path), request=request, content_type=content_type)
    response.content_disposition = f'attachment; filename="{name}-{file}"'
    return response


@view_config(route_name="data.table", permission=Permissions.PublicRead, request_method="GET")
def table_download(request: Request) -> Response:
    table = TABLES.get(request.matchdict["table"])
    if table is None:
        raise HTTPNotFound()
    fmt = request.matchdict["format"]
    if fmt == "csv":
        body, content_type = csv_text(request.db, table), "text/csv"
    else:
        body, content_type = json_text(request.db, table), "application/json"
    response = Response(body=body.encode("utf-8"), content_type=content_type, charset="utf-8")
    response.content_disposition = f'attachment; filename="{table.name}.{fmt}"'
    return response


@view_config(route_name="data.ocds", permission=Permissions.PublicRead, request_method="GET")
def ocds_download(request: Request) -> Response:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as handle:
        write_ocds(request.db, handle, uri=request.route_url("data.ocds"))
        handle.seek(0)
        body = handle.read()
    response = Response(body=body.encode("utf-8"), content_type="application/json", charset="utf-8")
    response.content_disposition = 'attachment; filename="ocds-release-package.json"'
    return response


@view_defaults(
    route_name="data.import",
    renderer="opendata/import.html",
    permission=Permissions.AdminDataImport,
)
class ImportViews:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return {"errors": [], "summary": None, "results": self._results()}

    def _results(self) -> list[dict[str, Any]]:
        # The last upload's result, flashed as data so the page can link to its ledger entry.
        flashed = self.request.session.pop_flash(IMPORTED)
        return [r for r in flashed if isinstance(r, dict)]

    @view_config(request_method="POST")
    def submit(self) -> Any:
        request = self.request
        # WebOb spools large bodies to a temporary file it leaves to the garbage collector.
        request.add_finished_callback(_close_body)
        upload = request.POST.get("file")
        if upload is None or not hasattr(upload, "file") or not upload.filename:
            request.response.status = 400
            return {"errors": ["Choose an OCDS file to upload"], "summary": None}
        name = Path(upload.filename).name
        with tempfile.TemporaryDirectory() as tmp:
            # Keep the name's suffixes: they say whether it is JSON Lines.
            path = Path(tmp) / ("upload-" + "".join(c for c in name if c.isalnum() or c in "._-"))
            size = 0
            with upload.file, path.open("wb") as out:
                while chunk := upload.file.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        message = f"{name}: larger than 200 MB: use `registry import ocds`"
                        source = ledger.describe(None, name, via=ledger.VIA_UPLOAD)
                        entry = _in_own_transaction(
                            request,
                            functools.partial(
                                ledger.record_refusal, source=source, messages=[message]
                            ),
                        )
                        request.response.status = 400
                        return {"errors": [message], "summary": None, "entry": entry}
                    out.write(chunk)
            try:
                summary = import_file(
                    request.db,
                    path,
                    name,
                    actor=request.identity,
                    via=ledger.VIA_UPLOAD,
                    strict=request.POST.get("strict") == "yes",
                    limits=upload_limits(request.registry.settings),
                )
            except ImportRefused as exc:
                entry = _in_own_transaction(
                    request, functools.partial(ledger.record_refused, exc=exc)
                )
                request.response.status = 400
                return {"errors": exc.messages, "summary": None, "name": name, "entry": entry}
        s = summary.as_json()
        request.session.flash(
            {
                "text": f"{name}: {s['releases']} releases, {s['contracts']} contracts, "
                f"{s['suppliers']} new suppliers, {s['buyers']} new buyers, "
                f"{s['skipped']} skipped.",
                "findings": s["findings"],
                "rules": summary.top_rules(),
                "entry": summary.run_id,
                "url": request.route_path("data.imports.detail", id=summary.run_id)
                if summary.run_id is not None
                else None,
            },
            queue=IMPORTED,
        )
        return HTTPSeeOther(request.route_path("data.import"))


def _in_own_transaction(request: Request, write: Callable[..., Any]) -> int | None:
    """Abort the request's transaction (the failed import's), then write in a new one.

    Why: a refused import's ledger entry must be all that is written, whatever the request did
    before; pyramid_tm commits the new transaction when the 400 page is returned.
    """
    user = request.identity
    request.tm.abort()
    request.tm.begin()
    if user is not None:
        # The abort closed the session: the page's header still needs the signed-in user.
        request.db.add(user)
    entry = write(db=request.db)
    return entry.id if entry is not None else None


def _close_body(request: Request) -> None:
    for value in request.POST.values():
        if hasattr(value, "file") and hasattr(value.file, "close"):
            value.file.close()
    body = request.environ.get("wsgi.input")
    if hasattr(body, "close") and hasattr(body, "fileno"):
        body.close()
