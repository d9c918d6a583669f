"""Admin forms for frameworks, lots, obligations and memberships.

The forms parse what was typed (dates, numbers, choices) with messages naming the field; the rules
about the records themselves (unique references, dates in order, allowed transitions) are the
service's, and its problems are put back on the fields by `Form.add_errors`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry.contracts.forms import MoneyField
from registry.forms import Form, NumberField, WholeNumberField, length, required
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    KPIDirection,
    Lot,
    MembershipStatus,
    Obligation,
    ObligationCategory,
)
from registry.integers import whole_number


def _date(label: str, name: str) -> wtforms.DateField:
    return wtforms.DateField(
        label,
        validators=[validators.Optional()],
        description="For example, 2024-03-31",
        invalid_value_message=f"{name.capitalize()} must be a real date, like 2024-03-31",
    )


def _ceiling_amount(of: str, column: Any) -> MoneyField:
    return MoneyField(
        "Ceiling (optional)",
        column=column,
        places=2,
        validators=[validators.Optional()],
        description=f"The estimated or maximum value of all call-offs from {of}, like "
        "250000000. It is a ceiling, never counted as spend: spend is the sum of call-offs.",
        invalid_value_message="Ceiling must be a number, like 250000000",
    )


def _ceiling_currency() -> wtforms.StringField:
    return wtforms.StringField(
        "Ceiling currency (optional)",
        validators=[length("ceiling currency", 3)],
        description="A 3-letter ISO 4217 code, like GBP; needed with a ceiling",
    )


def _reason() -> wtforms.TextAreaField:
    return wtforms.TextAreaField(
        "Reason",
        validators=[required("the reason for this change"), length("reason", 2000)],
        description="This is kept with the change and shown on the public record.",
    )


class FrameworkForm(Form):
    reference = wtforms.StringField(
        "Reference",
        validators=[required("the framework's reference"), length("reference", 40)],
        description="The owner's reference, like RM6116. It must be unique.",
    )
    title = wtforms.StringField("Title", validators=[required("the title"), length("title", 300)])
    owner_body = wtforms.StringField(
        "Owner",
        validators=[required("the body that runs the framework"), length("owner", 200)],
        description="The body that runs the framework, like Crown Commercial Service",
    )
    description = wtforms.TextAreaField(
        "Description (optional)", validators=[length("description", 10_000)]
    )
    status = wtforms.SelectField(
        "Status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in FrameworkStatus],
        default=FrameworkStatus.coming.value,
        validate_choice=False,  # the view names a bad status
        description="Where the framework is in its lifecycle now. Later changes go through "
        "'Change status', which keeps the history.",
    )
    start_date = _date("Start date (optional)", "start date")
    end_date = _date("End date (optional)", "end date")
    extended_end_date = _date("Extended end date (optional)", "extended end date")
    max_term_months = WholeNumberField(
        "Maximum term in months (optional)",
        column=Framework.max_term_months,
        maximum=1200,  # a hundred years: no framework runs longer
        validators=[validators.Optional()],
        description="Including any extensions, like 48",
        invalid_value_message="Maximum term must be a whole number of months, like 48",
    )
    cpv_codes = wtforms.TextAreaField(
        "CPV codes (optional)",
        validators=[length("CPV codes", 2000)],
        description="Common Procurement Vocabulary codes separated by commas or spaces, "
        "like 48000000, 72000000-5",
    )
    source_url = wtforms.StringField(
        "Source URL (optional)",
        validators=[length("source URL", 500)],
        description="Where the framework is published, starting https://",
    )
    ceiling_amount = _ceiling_amount("the framework", Framework.ceiling_amount)
    ceiling_currency = _ceiling_currency()
    illustrative = wtforms.BooleanField(
        "Illustrative", description="Tick when this record is an invented example"
    )


class FrameworkEditForm(FrameworkForm):
    status = None  # status changes have their own form, which keeps the history


class StatusForm(Form):
    status = wtforms.SelectField("New status", validate_choice=False)
    reason = _reason()

    def __init__(self, *args: Any, allowed: list[FrameworkStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.value.capitalize()) for s in allowed]


class RetractForm(Form):
    reason = _reason()


class LotForm(Form):
    number = wtforms.StringField(
        "Lot number",
        validators=[required("the lot number"), length("lot number", 20)],
        description="Unique within the framework, like 1 or 2a",
    )
    title = wtforms.StringField("Title", validators=[required("the title"), length("title", 300)])
    description = wtforms.TextAreaField(
        "Description (optional)", validators=[length("description", 10_000)]
    )
    cpv_codes = wtforms.TextAreaField(
        "CPV codes (optional)",
        validators=[length("CPV codes", 2000)],
        description="Separated by commas or spaces, like 48000000",
    )
    ceiling_amount = _ceiling_amount("the lot", Lot.ceiling_amount)
    ceiling_currency = _ceiling_currency()
    illustrative = wtforms.BooleanField(
        "Illustrative", description="Tick when this record is an invented example"
    )
    membership_complete = wtforms.BooleanField(
        "Membership list complete",
        description="Tick only when every supplier ever admitted to the lot is recorded: only "
        "then is the lot judged closed or open to new suppliers. Otherwise the list is partial.",
    )


class ObligationForm(Form):
    category = wtforms.SelectField(
        "Category",
        choices=[SelectChoice("", "Choose a category")]
        + [SelectChoice(c.value, c.value[:1].upper() + c.value[1:]) for c in ObligationCategory],
        validators=[required("the category")],
        validate_choice=False,  # the service names a bad category
    )
    title = wtforms.StringField(
        "Title",
        validators=[required("what the supplier promised"), length("title", 300)],
        description="What the supplier promised, like 'Bulk extract of the full patient record'",
    )
    description = wtforms.TextAreaField(
        "Description (optional)", validators=[length("description", 10_000)]
    )
    standard_reference = wtforms.StringField(
        "Standard (optional)",
        validators=[length("standard", 100)],
        description="Like IM1, GP Connect, DSPT or ISO 27001",
    )
    lot_id = wtforms.SelectField(
        "Applies to",
        description="The whole framework, or one of its lots",
        validate_choice=False,
    )
    supplier_id = WholeNumberField(
        "Supplier registry number (optional)",
        minimum=1,
        validators=[validators.Optional()],
        description="Only for an obligation one supplier signed up to; leave empty when it "
        "binds every supplier",
        invalid_value_message="Supplier registry number must be a whole number, like 12",
    )
    kpi_target = NumberField(
        "KPI target (optional)",
        column=Obligation.kpi_target,
        minimum=None,  # a KPI may aim below zero (a change, a balance)
        places=None,
        validators=[validators.Optional()],
        description="The number to meet, like 99.5",
        invalid_value_message="KPI target must be a number, like 99.5",
    )
    kpi_unit = wtforms.StringField(
        "KPI unit (optional)", validators=[length("KPI unit", 40)], description="Like % or days"
    )
    kpi_direction = wtforms.SelectField(
        "KPI direction",
        choices=[SelectChoice("", "No KPI")]
        + [SelectChoice(d.value, d.value.capitalize()) for d in KPIDirection],
        validate_choice=False,
    )
    weight = NumberField(
        "Weight",
        column=Obligation.weight,
        minimum=Decimal("0.001"),  # more than 0: the smallest weight the column keeps
        places=None,
        default=1,
        validators=[validators.InputRequired(message="Enter the weight, like 1")],
        description="How much this obligation counts in scores; more than 0",
        invalid_value_message="Weight must be a number more than 0, like 1 or 2.5",
    )
    mandatory = wtforms.BooleanField("Mandatory", default=True)
    illustrative = wtforms.BooleanField(
        "Illustrative", description="Tick when this record is an invented example"
    )

    def __init__(self, *args: Any, lots: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lot_id.choices = [SelectChoice("", "The whole framework"), *lots]


class MembershipForm(Form):
    supplier = wtforms.SelectField(
        "Supplier",
        description="Choose from the list, or give the registry number below",
        validate_choice=False,
    )
    supplier_number = WholeNumberField(
        "Or supplier registry number",
        minimum=1,
        subject="Supplier registry number",
        validators=[validators.Optional()],
        description="The number in the supplier's page address, like 12",
        invalid_value_message="Supplier registry number must be a whole number, like 12",
    )
    status = wtforms.SelectField(
        "Status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in MembershipStatus],
        default=MembershipStatus.active.value,
        validate_choice=False,
    )
    start_date = _date("Start date (optional)", "start date")
    end_date = _date("End date (optional)", "end date")
    reason = wtforms.TextAreaField(
        "Note (optional)",
        validators=[length("note", 2000)],
        description="Why the supplier is on the lot, like 'Awarded a place in the 2020 competition'",
    )
    illustrative = wtforms.BooleanField(
        "Illustrative", description="Tick when this record is an invented example"
    )

    def __init__(self, *args: Any, suppliers: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.supplier.choices = [SelectChoice("", "Choose a supplier"), *suppliers]

    def supplier_id(self) -> int | None:
        if self.supplier_number.data is not None:
            return int(self.supplier_number.data)
        return whole_number(self.supplier.data, minimum=1)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not self.supplier_number.errors and self.supplier_id() is None:
            self.supplier.errors = [*self.supplier.errors, "Choose a supplier, or give its number"]
            return False
        return valid


class MembershipStatusForm(Form):
    status = wtforms.SelectField(
        "New status",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in MembershipStatus],
        validate_choice=False,
    )
    reason = _reason()
