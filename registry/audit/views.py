from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config

from registry.audit import trail
from registry.audit.actors import Actors
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
    subject_types, actions = trail.choices(request.db)
    filters = trail.read_filters(request.params, set(subject_types), set(actions))
    query = sa.select(AuditEvent).where(*filters.conditions).order_by(AuditEvent.seq.desc())
    page = paginate(request.db, query, page_number(request), size=50)
    actors = Actors(request.db, request.identity, (e.actor_id for e in page.items))
    return {
        "page": page,
        "report": verify_chain(request.db),
        "filters": filters,
        "subject_types": {t: trail.noun(t) for t in subject_types},
        "actions": {a: trail.action_words(a) for a in actions},
        "action_words": trail.action_words,
        "noun": trail.noun,
        "who": {e.seq: actors.name(e.actor_id, e.actor_label) for e in page.items},
        "links": trail.subject_links(request, page.items),
    }
