"""The audit trail as a reader sees it (/audit): its filters, checked; each action in words; each
subject linked to its page."""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.authnz import Permissions
from registry.frameworks.models import Framework
from registry.integers import whole_number
from registry.sql import escape_like

MAX_TEXT = 200
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# What a subject type or an action's verb reads as; anything else is its code with spaces.
NOUNS = {
    "api_token": "API token",
    "csv_import": "CSV import",
    "csv": "CSV",
    "ocds_file": "OCDS file",
    "opendata": "Open data",
    "remediation_plan": "Remediation plan",
    "remediation": "Remediation plan",
    "scores": "Scores",
    "supplier_group": "Supplier group",
    "login": "Sign-in",
}
VERBS = {
    "adjust": "adjusted",
    "approve": "approved",
    "challenge": "sent back",
    "contradiction": "contradiction found",
    "create": "recorded",
    "edit": "edited",
    "publish": "published",
    "reply": "replied to",
    "retract": "retracted",
    "submit": "submitted",
    "recompute": "recomputed",
    "logged_in": "signed in",
    "login_failed": "sign-in failed",
    "password_set": "password set",
    "role_changed": "role changed",
    "status": "status changed",
    "group_changed": "moved to another group",
    "merge_received": "received a merge",
    "merge_reversed": "merge reversed",
    "ocds_imported": "OCDS file imported",
    "updated_from_ocds": "updated from OCDS",
    "gp_practices_generated": "GP practices generated",
    "raised": "raised",
    "reopened": "reopened",
}
# Subject types whose pages are found by the event's subject id (a record id).
LINKS = {
    "assessment": "assessments.detail",
    "contract": "contracts.detail",
    "flag": "flags.detail",
    "supplier": "suppliers.detail",
    "supplier_group": "suppliers.groups.detail",
    "buyer": "buyers.detail",
    "product": "products.detail",
}


def noun(code: str) -> str:
    return NOUNS.get(code, code.replace("_", " ").capitalize())


def action_words(action: str) -> str:
    """'assessment.publish' → 'Assessment published'."""
    subject, _, verb = action.partition(".")
    if not verb:
        return noun(subject)
    return f"{noun(subject)} {VERBS.get(verb, verb.replace('_', ' '))}"


@dataclasses.dataclass
class TrailFilters:
    subject_type: str = ""
    subject_id: str = ""
    actor: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    conditions: list[sa.ColumnElement[bool]] = dataclasses.field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.conditions)


def _date(
    filters: TrailFilters, name: str, label: str, raw: str
) -> tuple[str, datetime.date | None]:
    if not raw:
        return "", None
    day = None
    if ISO_DATE.fullmatch(raw):
        try:
            day = datetime.date.fromisoformat(raw)
        except ValueError:
            day = None
    if day is None:
        filters.errors.append((name, f"{label} must be a real date, like 2024-03-31"))
        return "", None
    return raw, day


def read_filters(
    params: Mapping[str, Any], subject_types: set[str], actions: set[str]
) -> TrailFilters:
    """The trail's GET filters, each checked: a bad one is named and left unused."""
    f = TrailFilters()

    def text(name: str) -> str:
        value = params.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def too_long(label: str) -> Callable[[str], str | None]:
        return lambda v: (
            f"{label} must be {MAX_TEXT} characters or fewer" if len(v) > MAX_TEXT else None
        )

    def listed(choices: set[str], label: str) -> Callable[[str], str | None]:
        return lambda v: (
            None if v in choices else f"{label} must be one of the {label.lower()}s listed"
        )

    def actor_like(v: str) -> sa.ColumnElement[bool]:
        pattern = f"%{escape_like(v.lower())}%"
        return sa.func.lower(AuditEvent.actor_label).like(pattern, escape="\\")

    checks: list[tuple[str, Callable[[str], str | None], Callable[[str], Any]]] = [
        ("subject_type", listed(subject_types, "Record type"), AuditEvent.subject_type.__eq__),
        ("subject_id", too_long("Record id"), AuditEvent.subject_id.__eq__),
        ("actor", too_long("Who"), actor_like),
        ("action", listed(actions, "Action"), AuditEvent.action.__eq__),
    ]
    for name, problem_with, condition in checks:
        value = text(name)
        problem = problem_with(value) if value else None
        if problem:
            f.errors.append((name, problem))
        elif value:
            setattr(f, name, value)
            f.conditions.append(condition(value))
    f.date_from, start = _date(f, "date_from", "Date from", text("date_from"))
    f.date_to, end = _date(f, "date_to", "Date to", text("date_to"))
    if start and end and start > end:
        f.errors.append(("date_to", "Date to must be the same as or after date from"))
        f.date_to, end = "", None
    if start:
        f.conditions.append(
            AuditEvent.created >= datetime.datetime.combine(start, datetime.time(), datetime.UTC)
        )
    if end:
        after = datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(), datetime.UTC
        )
        f.conditions.append(AuditEvent.created < after)
    return f


def choices(db: Session) -> tuple[list[str], list[str]]:
    """The subject types and actions the trail holds, for the filter's lists."""
    types = list(
        db.execute(
            sa.select(AuditEvent.subject_type).distinct().order_by(AuditEvent.subject_type)
        ).scalars()
    )
    actions = list(
        db.execute(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars()
    )
    return types, actions


def subject_links(request: Any, events: list[AuditEvent]) -> dict[int, str]:
    """Each event's subject page, where it has one (by event seq)."""
    links: dict[int, str] = {}
    numbers = {e.seq: whole_number(e.subject_id, minimum=1) for e in events}
    framework_ids = {numbers[e.seq] for e in events if e.subject_type == "framework"} - {None}
    references: dict[int, str] = {}
    if framework_ids:
        references = dict(
            request.db.execute(
                sa.select(Framework.id, Framework.reference).where(Framework.id.in_(framework_ids))
            ).all()
        )
    sees_users = request.has_permission(Permissions.AdminUsersManage)
    for e in events:
        number = numbers[e.seq]
        if number is None:
            continue
        route = LINKS.get(e.subject_type)
        if route is not None:
            links[e.seq] = request.route_path(route, id=number)
        elif e.subject_type == "framework" and number in references:
            links[e.seq] = request.route_path("frameworks.detail", reference=references[number])
        elif e.subject_type == "user" and sees_users:
            links[e.seq] = request.route_path("accounts.user_detail", id=number)
    return links
