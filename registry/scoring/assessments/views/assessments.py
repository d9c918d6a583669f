"""Assessment pages: the list, one assessment with its history, officers' forms to record, edit,
submit and retract, and the supplier's reply."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from registry.audit import actors
from registry.audit.services import events_for
from registry.authnz import Permissions, Role
from registry.clock import today
from registry.frameworks.models import Obligation
from registry.integers import record_by_number
from registry.pagination import page_number, paginate
from registry.scoring.assessments import services as service
from registry.scoring.assessments import visibility
from registry.scoring.assessments.forms import AssessmentForm, ReplyForm, RetractForm, ReviewForm
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.assessments.resources import AssessmentContext
from registry.scoring.assessments.services import REPLY_WINDOW_SETTING, AssessmentError
from registry.suppliers.models import Supplier

# The assessments list's orders: label and ORDER BY (the id breaks ties, newest first).
LIST_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "newest": ("Newest period first", (Assessment.period_end.desc(),)),
    "oldest": ("Oldest period first", (Assessment.period_end.asc(),)),
    "kpi": ("KPI, A to Z", (Assessment.kpi.asc(), Assessment.period_end.desc())),
}


MINE_LABELS = {
    Role.supplier: "Only ratings of my organisation",
    Role.officer: "Only my organisation's assessments",
}


def mine_condition(user: Any) -> sa.ColumnElement[bool] | None:
    """The assessments that are the user's own organisation's, or None for roles without one."""
    if user is None:
        return None
    if user.role == Role.supplier and user.supplier_id is not None:
        return Assessment.supplier_id == user.supplier_id
    if user.role == Role.officer and user.buyer_id is not None:
        return Assessment.buyer_id == user.buyer_id
    return None


def _detail(request: Request, a: Assessment) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("assessments.detail", id=a.id))


def _obligation_choices(request: Request, framework_id: int | None, supplier_id: int) -> list[Any]:
    choices: list[Any] = [SelectChoice("", "None: a KPI of this contract only")]
    if framework_id is None:
        return choices
    rows = request.db.execute(
        sa.select(Obligation)
        .where(
            Obligation.framework_id == framework_id,
            Obligation.retracted_at.is_(None),
            sa.or_(Obligation.supplier_id.is_(None), Obligation.supplier_id == supplier_id),
        )
        .order_by(Obligation.title)
    ).scalars()
    choices.extend(SelectChoice(str(o.id), f"{o.title} (weight {o.weight:g})") for o in rows)
    return choices


@view_config(
    route_name="assessments.list",
    renderer="scoring/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def assessment_list(request: Request) -> dict[str, Any]:
    user = request.identity
    query = sa.select(Assessment).options(
        selectinload(Assessment.supplier), selectinload(Assessment.contract)
    )
    visible = visibility.visibility_clause(user)
    if visible is not None:
        query = query.where(visible)
    status = request.params.get("status", "")
    statuses = [s.value for s in AssessmentStatus] if user is not None else []
    if status in statuses:
        query = query.where(Assessment.status == AssessmentStatus(status))
    else:
        status = ""
    # ?supplier= narrows the list to one supplier: the "View all" link of the supplier page.
    supplier = None
    raw_supplier = request.params.get("supplier", "")
    if raw_supplier:
        supplier = record_by_number(request.db, Supplier, raw_supplier)
        if supplier is None:
            raise HTTPNotFound("No supplier with that id: check the supplier link.")
        query = query.where(Assessment.supplier_id == supplier.id)
    # ?mine=1: a supplier user's ratings, or an officer's buyer's assessments.
    mine_clause = mine_condition(user)
    mine = mine_clause is not None and request.params.get("mine") == "1"
    if mine_clause is not None and mine:
        query = query.where(mine_clause)
    sort = request.params.get("sort", "newest")
    if sort not in LIST_SORTS:
        sort = "newest"
    query = query.order_by(*LIST_SORTS[sort][1], Assessment.id.desc())
    return {
        "mine": mine,
        "mine_label": None if mine_clause is None else MINE_LABELS[user.role],
        "page": paginate(request.db, query, page_number(request)),
        "status": status,
        "statuses": statuses,
        "supplier": supplier,
        "sort": sort,
        "sorts": LIST_SORTS,
    }


@view_config(
    route_name="assessments.detail",
    renderer="scoring/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def assessment_detail(context: AssessmentContext, request: Request) -> dict[str, Any]:
    a = context.assessment
    user = request.identity
    # Who may see it at all is the route factory's (AssessmentContext): the same for every page.
    is_public = visibility.is_public(a)
    history = actors.history(request.db, user, events_for(request.db, service.SUBJECT, a.id))
    writable = a.status in (AssessmentStatus.draft, AssessmentStatus.challenged)
    can_write = bool(request.has_permission(Permissions.OfficerAssessmentsWrite, context))
    can_reply = (
        bool(request.has_permission(Permissions.SupplierRepliesWrite, context))
        and user is not None
        and user.role == Role.supplier
        and a.reply is None
        and a.reply_due is not None
        and today() <= a.reply_due
    )
    return {
        "assessment": a,
        "is_public": is_public,
        "shows_contract": visibility.shows_contract(user, a),
        "assessor": visibility.assessor(request.db, user, a),
        "history": history if (is_public or user is not None) else [],
        "can_edit": can_write and writable,
        "can_retract": (can_write or request.has_permission(Permissions.AuditorReviewAct, context))
        and a.retracted_at is None,
        "can_reply": can_reply,
        "can_review": bool(request.has_permission(Permissions.AuditorReviewAct, context)),
    }


class _FormPage:
    def __init__(self, context: Any, request: Request) -> None:
        self.context = context
        self.request = request

    def done(self, a: Assessment, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return _detail(self.request, a)


@view_config(
    route_name="assessments.new",
    renderer="scoring/form.html",
    permission=Permissions.OfficerAssessmentsWrite,
    request_method=("GET", "POST"),
)
class NewAssessment(_FormPage):
    def __call__(self) -> Any:
        contract = self.context.contract
        form = AssessmentForm(self.request.POST if self.request.method == "POST" else None)
        form.obligation_id.choices = _obligation_choices(
            self.request, contract.lot.framework_id if contract.lot else None, contract.supplier_id
        )
        if self.request.method == "GET":
            try:
                service.check_contract(contract)  # say so before the form is filled in
            except AssessmentError as exc:
                form.add_errors(exc.errors)
        if self.request.method == "POST":
            if form.validate():
                try:
                    a = service.create_for_contract(
                        self.request.db, contract, form.to_input(), self.request.identity
                    )
                except AssessmentError as exc:
                    form.add_errors(exc.errors)
                else:
                    return self.done(a, "Assessment saved as a draft. Submit it when it is ready.")
            self.request.response.status = 400
        return {"form": form, "contract": contract, "assessment": None}


@view_config(
    route_name="assessments.edit",
    renderer="scoring/form.html",
    permission=Permissions.OfficerAssessmentsWrite,
    request_method=("GET", "POST"),
)
class EditAssessment(_FormPage):
    def __call__(self) -> Any:
        a: Assessment = self.context.assessment
        if a.status not in (AssessmentStatus.draft, AssessmentStatus.challenged):
            self.request.session.flash(f"A {a.status} assessment cannot be edited.", queue="error")
            return _detail(self.request, a)
        if self.request.method == "POST":
            form = AssessmentForm(self.request.POST)
        else:
            form = AssessmentForm(
                data={
                    "kpi": a.kpi,
                    "period_start": a.period_start,
                    "period_end": a.period_end,
                    "measured_value": a.measured_value,
                    "unit": a.unit,
                    "evidence": a.evidence,
                    "evidence_links": "\n".join(a.evidence_links or []),
                    "obligation_id": str(a.obligation_id or ""),
                    "rating": a.rating.value,
                }
            )
        form.obligation_id.choices = _obligation_choices(
            self.request, a.framework_id, a.supplier_id
        )
        if self.request.method == "POST":
            if form.validate():
                try:
                    service.edit(self.request.db, a, form.to_input(), self.request.identity)
                except AssessmentError as exc:
                    form.add_errors(exc.errors)
                else:
                    return self.done(a, "Assessment updated.")
            self.request.response.status = 400
        return {"form": form, "contract": a.contract, "assessment": a}


@view_config(
    route_name="assessments.submit",
    permission=Permissions.OfficerAssessmentsWrite,
    request_method="POST",
)
def submit_assessment(context: AssessmentContext, request: Request) -> HTTPSeeOther:
    a = context.assessment
    window = int(request.registry.settings[REPLY_WINDOW_SETTING])
    try:
        service.submit(request.db, a, request.identity, today(), window)
    except AssessmentError as exc:
        request.session.flash(str(exc), queue="error")
        return _detail(request, a)
    request.session.flash(
        f"Assessment submitted for review. The supplier may reply until {a.reply_due:%-d %B %Y}.",
        queue="success",
    )
    return _detail(request, a)


@view_config(
    route_name="assessments.reply",
    renderer="scoring/reply.html",
    permission=Permissions.SupplierRepliesWrite,
    request_method=("GET", "POST"),
)
class ReplyPage(_FormPage):
    def __call__(self) -> Any:
        a: Assessment = self.context.assessment
        form = ReplyForm(self.request.POST if self.request.method == "POST" else None)
        if self.request.method == "POST":
            if form.validate():
                try:
                    service.reply(
                        self.request.db, a, self.request.identity, form.text.data or "", today()
                    )
                except AssessmentError as exc:
                    form.add_errors(exc.errors)
                else:
                    return self.done(a, "Your reply is recorded. " + reply_shown(a))
            self.request.response.status = 400
        return {"form": form, "assessment": a, "reply_shown": reply_shown(a)}


def reply_shown(a: Assessment) -> str:
    """Where a reply appears: "published with the rating" only once the rating is published."""
    if visibility.is_public(a):
        return "It is published with the rating."
    return "It will be published beside the rating if the rating is published."


@view_config(
    route_name="assessments.retract",
    renderer="scoring/retract.html",
    permission=Permissions.AssessmentsRetract,
    request_method=("GET", "POST"),
)
class RetractPage(_FormPage):
    def __call__(self) -> Any:
        a: Assessment = self.context.assessment
        request = self.request
        form = RetractForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if form.validate():
                try:
                    service.retract(request.db, a, request.identity, form.reason.data or "")
                except AssessmentError as exc:
                    form.add_errors(exc.errors)
                else:
                    return self.done(
                        a, "Assessment retracted. It stays on record, marked retracted."
                    )
            request.response.status = 400
        return {"form": form, "assessment": a}


def review_form(a: Assessment) -> ReviewForm:
    return ReviewForm(version=str(a.version))
