from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config

from registry.audit.models import AuditEvent
from registry.audit.services import verify_chain
from registry.authnz import Permissions
from registry.pagination import page_number, paginate


@view_config(
    route_name="audit.trail",
    renderer="audit/trail.html",
    permission=Permissions.AuditTrailRead,
    request_method="GET",
)
def audit_trail(request: Request) -> dict[str, Any]:
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
    subject_type = request.params.get("subject_type", "").strip()[:40]
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    page = paginate(request.db, query, page_number(request), size=50)
    return {"page": page, "report": verify_chain(request.db), "subject_type": subject_type}
