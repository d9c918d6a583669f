"""The auditor's review queue (/review), and one item with its actions."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPConflict, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from registry.audit import actors
from registry.audit.services import events_for
from registry.authnz import Permissions
from registry.clock import today
from registry.db import utcnow
from registry.frameworks.models import Framework
from registry.integers import whole_number
from registry.pagination import page_number, paginate
from registry.scoring.assessments import queue, visibility
from registry.scoring.assessments import services as service
from registry.scoring.assessments.forms import ReviewForm
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.assessments.queue import STAGES
from registry.scoring.assessments.resources import AssessmentContext
from registry.scoring.assessments.services import AssessmentConflict, AssessmentError, ReviewAction
from registry.scoring.clocks import rules
from registry.scoring.clocks import services as clocks
from registry.scoring.clocks.summaries import state_totals
from registry.suppliers.models import Supplier

CONFLICT = (
    "Another auditor acted on this assessment while you were looking at it, so your action was "
    "not saved. Open the assessment again to see what they did, then decide."
)
AGES = {"7": "Waiting over 7 days", "14": "Waiting over 14 days", "30": "Waiting over 30 days"}


@view_config(
    route_name="review.queue",
    renderer="scoring/queue.html",
    permission=Permissions.AuditorReviewAct,
    request_method="GET",
)
def review_queue(request: Request) -> dict[str, Any]:
    params = request.params
    stage = params.get("stage", "review")
    if stage not in STAGES:
        stage = "review"
    as_of = today()
    query = queue.queue_select(stage, as_of)
    errors: list[str] = []
    framework = params.get("framework", "").strip()[:40]
    if framework:
        query = query.where(
            Assessment.framework_id.in_(
                sa.select(Framework.id).where(Framework.reference == framework)
            )
        )
    supplier = params.get("supplier", "").strip()
    if supplier:
        if whole_number(supplier, minimum=1) is not None:
            query = query.where(Assessment.supplier_id == int(supplier))
        else:
            errors.append("Supplier must be chosen from the list")
            supplier = ""
    rating = params.get("rating", "")
    if rating:
        if rating in {r.value for r in Rating}:
            query = query.where(Assessment.rating == Rating(rating))
        else:
            errors.append(f"Rating must be one of: {service.RATING_NAMES}")
            rating = ""
    age = params.get("age", "")
    if age in AGES:
        cutoff = utcnow() - datetime.timedelta(days=int(age))
        query = query.where(Assessment.submitted_at <= cutoff)
    else:
        age = ""
    suppliers = request.db.execute(
        sa.select(Supplier.id, Supplier.name)
        .where(
            Supplier.id.in_(
                sa.select(Assessment.supplier_id).where(Assessment.status.in_(STAGES[stage][1]))
            )
        )
        .order_by(Supplier.name)
    ).all()
    frameworks = request.db.execute(
        sa.select(Framework.reference, Framework.title).order_by(Framework.reference)
    ).all()
    page = paginate(request.db, query, page_number(request))
    # What is due, in figures with links: every submitted assessment stops a clock here.
    totals = state_totals(request.db, clocks.Scope(published_only=False), as_of)
    return {
        "page": page,
        "queue_items": queue.queue_items(request.db, page.items, as_of),
        "summary": queue.queue_summary(request.db, as_of),
        "clock_totals": totals,
        "clock_labels": rules.STATE_LABELS,
        "stage": stage,
        "stages": {key: label for key, (label, _) in STAGES.items()},
        "framework": framework,
        "frameworks": frameworks,
        "supplier": supplier,
        "suppliers": suppliers,
        "rating": rating,
        "ratings": [r.value for r in Rating],
        "age": age,
        "ages": AGES,
        "errors": errors,
        "today": as_of,
    }


def _item(request: Request, a: Assessment, form: ReviewForm | None = None) -> dict[str, Any]:
    return {
        "assessment": a,
        "form": form or ReviewForm(version=str(a.version)),
        "history": actors.history(
            request.db, request.identity, events_for(request.db, service.SUBJECT, a.id)
        ),
        "assessor": visibility.assessor(request.db, request.identity, a),
        "awaiting_reply": service.awaiting_reply(a, today()),
        "item": queue.queue_items(request.db, [a], today())[0],
        "today": today(),
    }


@view_config(
    route_name="review.item",
    renderer="scoring/review_item.html",
    permission=Permissions.AuditorReviewAct,
    request_method="GET",
)
def review_item(context: AssessmentContext, request: Request) -> dict[str, Any]:
    return _item(request, context.assessment)


DONE = {
    ReviewAction.approve: "Assessment approved. Publish it when you are ready.",
    ReviewAction.challenge: "Assessment sent back to the assessor with your reason.",
    ReviewAction.adjust: "Rating adjusted. Publish it when you are ready.",
    ReviewAction.publish: "Assessment published. The supplier's scores have been recalculated to count it.",
}


@view_config(
    route_name="review.item",
    renderer="scoring/review_item.html",
    permission=Permissions.AuditorReviewAct,
    request_method="POST",
)
def review_act(context: AssessmentContext, request: Request) -> Any:
    a = context.assessment
    form = ReviewForm(request.POST)
    version = whole_number(form.version.data, minimum=1)
    if version is None:
        form.form_errors.append("The form is missing the assessment's version: reload the page")
        request.response.status = 400
        return _item(request, a, form)
    try:
        service.review(
            request.db,
            a,
            request.identity,
            form.action.data or "",
            version,
            today(),
            reason=form.reason.data or "",
            new_rating=form.new_rating.data or None,
        )
    except AssessmentConflict as exc:
        raise HTTPConflict(detail=CONFLICT) from exc
    except AssessmentError as exc:
        form.add_errors(exc.errors)
        request.response.status = 400
        return _item(request, a, form)
    request.session.flash(DONE[form.action.data or ""], queue="success")
    if form.action.data == ReviewAction.publish:
        return HTTPSeeOther(request.route_path("assessments.detail", id=a.id))
    return HTTPSeeOther(request.route_path("review.queue"))
