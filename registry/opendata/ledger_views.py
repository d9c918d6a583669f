"""/data/imports: the public import ledger, a list newest first and one page per import."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.opendata import ledger
from registry.opendata.models import ImportOutcome, ImportRun, ImportRunOcid
from registry.pagination import page_number, paginate


def sources_summary(request: Request) -> list[dict[str, Any]]:
    """Per source (publisher, else file): imports, refusals, the last import and ocids held."""
    db = request.db
    runs = db.execute(
        sa.select(
            ImportRun.source_key,
            sa.func.count().label("imports"),
            sa.func.sum(sa.case((ImportRun.outcome == ImportOutcome.refused, 1), else_=0)),
            sa.func.max(ImportRun.finished_at),
            sa.func.max(ImportRun.id),
        )
        .group_by(ImportRun.source_key)
        .order_by(sa.func.max(ImportRun.id).desc())
        .limit(50)
    ).all()
    keys = [r[0] for r in runs]
    held = dict(
        db.execute(
            sa.select(ImportRun.source_key, sa.func.count(sa.distinct(ImportRunOcid.ocid)))
            .join(ImportRunOcid, ImportRunOcid.run_id == ImportRun.id)
            .where(ImportRun.source_key.in_(keys))
            .group_by(ImportRun.source_key)
        ).all()
    )
    return [
        {
            "key": key,
            "imports": imports,
            "refused": refused or 0,
            "last": last,
            "last_id": last_id,
            "ocids": held.get(key, 0),
        }
        for key, imports, refused, last, last_id in runs
    ]


@view_config(
    route_name="data.imports",
    renderer="opendata/imports.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def imports_list(request: Request) -> dict[str, Any]:
    # ?source= narrows the list to one publisher or source file (the keys in the summary table).
    source = request.params.get("source", "").strip()[:300]
    query = ledger.runs_query()
    if source:
        query = query.where(ImportRun.source_key == source)
    page = paginate(request.db, query, page_number(request))
    summary = sources_summary(request) if page.number == 1 and not source else []
    return {"page": page, "sources": summary, "source": source}


@view_config(
    route_name="data.imports.detail",
    renderer="opendata/import_detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def import_detail(request: Request) -> dict[str, Any]:
    run = request.db.get(ImportRun, int(request.matchdict["id"]))
    if run is None:
        raise HTTPNotFound()
    return {"run": run, "entry": ledger.run_json(run)}
