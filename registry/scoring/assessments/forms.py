"""Forms for assessments, replies and reviews. They parse what was typed; the rules about the
assessment itself (the scale, periods, windows, who may act) are the services'."""

from __future__ import annotations

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry.forms import Form, NumberField, length
from registry.integers import whole_number
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.assessments.services import AssessmentError, AssessmentInput, parse_links

RATING_CHOICES = [SelectChoice(r.value, r.value) for r in Rating]


def _date(label: str, name: str) -> wtforms.DateField:
    return wtforms.DateField(
        label,
        validators=[validators.Optional()],
        description="For example, 2024-03-31",
        invalid_value_message=f"{name.capitalize()} must be a real date, like 2024-03-31",
    )


class AssessmentForm(Form):
    obligation_id = wtforms.SelectField(
        "Framework obligation (optional)",
        choices=[SelectChoice("", "None: a KPI of this contract only")],
        validate_choice=False,
        description="When the KPI is one the supplier promised on the framework, its weight counts",
    )
    kpi = wtforms.StringField(
        "KPI",
        validators=[length("KPI", 300)],
        description="The key performance indicator, like 'System availability in core hours'. "
        "Left empty with an obligation chosen, it is the obligation's title.",
    )
    period_start = _date("Period start", "period start")
    period_end = _date("Period end", "period end")
    rating = wtforms.RadioField(
        "Rating",
        choices=RATING_CHOICES,
        validate_choice=False,
        description="The Procurement Act 2023 scale",
    )
    measured_value = NumberField(
        "Measured value (optional)",
        column=Assessment.measured_value,
        minimum=None,  # a measure may fall below zero (a change, a balance)
        validators=[validators.Optional()],
        invalid_value_message="Measured value must be a number, like 99.5",
    )
    unit = wtforms.StringField(
        "Unit (optional)", validators=[length("unit", 40)], description="For example, %"
    )
    evidence = wtforms.TextAreaField(
        "Evidence narrative",
        validators=[length("evidence", 10_000)],
        description="Required: what the rating rests on (reports, incidents, measurements), "
        "in at least 20 characters. A rating that contradicts its measurements is flagged "
        "for the auditor.",
    )
    evidence_links = wtforms.TextAreaField(
        "Evidence links (optional)", description="One web address a line, starting https://"
    )

    def to_input(self) -> AssessmentInput:
        links = parse_links(self.evidence_links.data or "")
        raw = (self.obligation_id.data or "").strip()
        if raw and whole_number(raw, minimum=1) is None:
            raise AssessmentError([("obligation_id", "Choose an obligation from the list")])
        return AssessmentInput(
            kpi=self.kpi.data or "",
            obligation_id=int(raw) if raw else None,
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            rating=self.rating.data or "",
            measured_value=self.measured_value.data,
            unit=self.unit.data,
            evidence=self.evidence.data or "",
            evidence_links=links,
        )


class ReplyForm(Form):
    text = wtforms.TextAreaField(
        "Your reply",
        validators=[length("your reply", 10_000)],
        description="Published beside the rating. You can reply once.",
    )


class ReviewForm(Form):
    action = wtforms.HiddenField()
    version = wtforms.HiddenField()
    reason = wtforms.TextAreaField(
        "Reason",
        validators=[length("reason", 10_000)],
        description="Required to send back or adjust; shown in the history",
    )
    new_rating = wtforms.SelectField(
        "New rating",
        choices=[SelectChoice("", "Choose a rating"), *RATING_CHOICES],
        validate_choice=False,
    )


class RetractForm(Form):
    reason = wtforms.TextAreaField(
        "Why is the assessment being retracted?",
        validators=[length("reason", 10_000)],
        description="Shown publicly beside the retracted assessment",
    )
