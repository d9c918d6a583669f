"""Forms for auditors to record breaches, remediation plans and exclusions, and to move a
supplier's membership of a lot. They parse what was typed; the services hold the rules."""

from __future__ import annotations

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry.forms import Form, WholeNumberField, length
from registry.frameworks.models import MembershipStatus
from registry.scoring.remedies.models import BreachKind, ExclusionKind, RemediationPlan


def _date(label: str, name: str, optional: bool = False) -> wtforms.DateField:
    return wtforms.DateField(
        label,
        validators=[validators.Optional()]
        if optional
        else [validators.InputRequired(message=f"Enter the {name}")],
        description="For example, 2024-03-31",
        invalid_value_message=f"{name.capitalize()} must be a real date, like 2024-03-31",
    )


class BreachForm(Form):
    __params__ = ("record", "breach")
    kind = wtforms.SelectField(
        "Kind of notice",
        choices=[SelectChoice(k.value, k.value.capitalize()) for k in BreachKind],
        validate_choice=False,
    )
    occurred_on = _date("Date of the breach", "date of the breach")
    notice_published_on = _date(
        "Notice published (optional)", "notice published date", optional=True
    )
    description = wtforms.TextAreaField("What happened", validators=[length("description", 10_000)])


class PlanForm(Form):
    __params__ = ("record", "plan")
    membership_id = wtforms.SelectField("Framework lot", choices=[], validate_choice=False)
    gap = wtforms.TextAreaField(
        "The gap",
        validators=[length("gap", 10_000)],
        description="Which obligation is unmet, and by how much",
    )
    agreed_date = _date("Agreed date", "agreed date")
    progress = wtforms.TextAreaField(
        "Progress so far (optional)", validators=[length("progress", 10_000)]
    )
    progress_percent = WholeNumberField(
        "Progress (%)",
        column=RemediationPlan.progress_percent,
        maximum=100,
        default=0,
        validators=[validators.Optional()],
        invalid_value_message="Progress must be a whole number from 0 to 100",
    )


class ExclusionForm(Form):
    __params__ = ("record", "exclusion")
    ground = wtforms.TextAreaField(
        "Exclusion ground",
        validators=[length("ground", 10_000)],
        description="The ground in Schedule 6 (mandatory) or 7 (discretionary) of the Procurement Act 2023",
    )
    kind = wtforms.SelectField(
        "Mandatory or discretionary",
        choices=[SelectChoice(k.value, k.value.capitalize()) for k in ExclusionKind],
        validate_choice=False,
    )
    start_date = _date("Start date", "start date")
    expected_end_date = _date("Expected end date", "expected end date")


class MembershipForm(Form):
    __params__ = ("record", "membership")
    membership_id = wtforms.SelectField("Framework lot", choices=[], validate_choice=False)
    status = wtforms.SelectField(
        "New status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in MembershipStatus],
        validate_choice=False,
    )
    reason = wtforms.TextAreaField("Reason", validators=[length("reason", 10_000)])
