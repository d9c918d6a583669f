"""/data/imports: the public import ledger, a list newest first and one page per import."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.integers import record_id
from registry.opendata import ledger, quality
from registry.opendata.models import ImportRun
from registry.pagination import page_number, paginate


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
    summary = quality.sources_summary(request.db) if page.number == 1 and not source else []
    return {
        "page": page,
        "sources": summary,
        "source": source,
        "indicators": quality.INDICATORS_BY_NAME,
        "shown": quality.SOURCES_SHOWN,
    }


@view_config(
    route_name="data.imports.detail",
    renderer="opendata/import_detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def import_detail(request: Request) -> dict[str, Any]:
    run = request.db.get(ImportRun, record_id(request))
    if run is None:
        raise HTTPNotFound()
    findings = quality.findings_by_run(request.db, [run.id])[run.id]
    return {
        "run": run,
        "entry": ledger.run_json(run, findings),
        "rules": quality.findings_by_rule(findings),
        "indicators": quality.INDICATORS_BY_NAME,
    }
