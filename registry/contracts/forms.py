"""Forms for recording, publishing, retracting and extending contracts.

The forms parse what was typed (dates, numbers) with messages naming the field; the rules about
the contract itself (dates in order, references that exist) are the service's.
"""

from __future__ import annotations

import datetime

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry import clock
from registry.contracts.models import Contract, ProcurementMethod
from registry.contracts.services import ContractInput
from registry.forms import Form, NumberField, WholeNumberField, length, optional_text, required


def _date(label: str, name: str, description: str = "", optional: bool = True) -> wtforms.DateField:
    return wtforms.DateField(
        label,
        validators=[validators.Optional()] if optional else [required(name)],
        description=description or "For example, 2024-03-31",
        invalid_value_message=f"{name.capitalize()} must be a real date, like 2024-03-31",
    )


class MoneyField(NumberField):
    """An amount of money within its column ("£1,200,000.00" forgiven, as every NumberField)."""


METHOD_CHOICES = [SelectChoice("", "Not known")] + [
    SelectChoice(m.value, m.value.capitalize()) for m in ProcurementMethod
]


class SelectField(wtforms.SelectField):
    """A select whose refusal names the field (named SelectField: the form macro renders by type)."""

    def pre_validate(self, form: wtforms.Form) -> None:
        if self.data not in {choice.value for choice in self.choices}:
            raise validators.ValidationError(f"Select a {self.label.text.lower()} from the list")


class ContractForm(Form):
    title = wtforms.StringField(
        "Title", validators=[required("the contract's title"), length("title", 500)]
    )
    reference = optional_text(
        "Contract reference (optional)",
        "contract reference",
        200,
        description="Your organisation's contract or award number. It must be unique.",
    )
    buyer = optional_text(
        "Buyer",
        "buyer",
        300,
        description="The buyer's name, identifier (an ODS code for NHS bodies) or registry number",
    )
    supplier = wtforms.StringField(
        "Supplier",
        validators=[
            required("the supplier's name, Companies House number or registry number"),
            length("supplier", 300),
        ],
        description="The supplier's name or another name it goes by (like TPP), its Companies "
        "House number, or the registry number shown on its page",
    )
    description = optional_text("Description (optional)", "description", 10_000, area=True)
    framework_reference = optional_text(
        "Framework (optional)",
        "framework",
        300,
        description="For a call-off from a framework: its title or reference, like GP IT Futures "
        "or RM6116",
    )
    lot_number = optional_text(
        "Lot number (optional)",
        "lot number",
        20,
        description="Needed when the framework has more than one lot: its number or title, "
        "like Lot 1",
    )
    value_amount = MoneyField(
        "Value (optional)",
        column=Contract.value_amount,
        places=2,
        validators=[validators.Optional()],
        description="The total value awarded, like 1200000.00",
        invalid_value_message="Value must be a number, like 1200000.00",
    )
    currency = wtforms.StringField(
        "Currency",
        default="GBP",
        validators=[validators.Optional(), length("currency", 3)],
        description="A 3-letter ISO 4217 code, like GBP",
    )
    award_date = _date("Award date (optional)", "award date")
    start_date = _date("Start date (optional)", "start date")
    end_date = _date("End date (optional)", "end date")
    original_end_date = _date(
        "Original end date (optional)",
        "original end date",
        "The end date when the contract was awarded, before any extension. "
        "Left empty, it is the end date.",
    )
    procurement_method = SelectField(
        "Procurement method", choices=METHOD_CHOICES, validators=[validators.Optional()]
    )
    number_of_tenderers = WholeNumberField(
        "Number of tenderers (optional)",
        column=Contract.number_of_tenderers,
        validators=[validators.Optional()],
        invalid_value_message="Number of tenderers must be a whole number, like 3",
    )
    predecessor = optional_text(
        "Predecessor contract (optional)",
        "predecessor",
        200,
        description="The contract this one replaces: its reference or registry number",
    )
    cpv_code = optional_text(
        "CPV code (optional)",
        "CPV code",
        10,
        description="The Common Procurement Vocabulary code, like 48000000-8",
    )
    # Only needed when the framework, lot or supplier fails a lifecycle check on the award date.
    lifecycle_override = optional_text(
        "Lifecycle override reason (optional)",
        "lifecycle override reason",
        2000,
        area=True,
        description="Only when the framework had expired or was not yet live on the award date, "
        "or the supplier was in remediation, suspended or excluded: why the contract is recorded "
        "anyway. It is kept with the contract and in its audit trail.",
    )

    def to_input(self, *, buyer_id: int | None) -> ContractInput:
        # A refused choice is no method: the form has said so, and the service checks the rest.
        method = self.procurement_method.data or None
        if method not in {m.value for m in ProcurementMethod}:
            method = None
        return ContractInput(
            title=self.title.data or "",
            supplier=self.supplier.data or "",
            buyer_id=buyer_id,
            buyer=self.buyer.data if buyer_id is None else None,
            reference=self.reference.data,
            description=self.description.data or "",
            framework_reference=self.framework_reference.data,
            lot_number=self.lot_number.data,
            predecessor=self.predecessor.data,
            value_amount=self.value_amount.data,
            currency=self.currency.data,
            award_date=self.award_date.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            original_end_date=self.original_end_date.data,
            procurement_method=ProcurementMethod(method) if method else None,
            number_of_tenderers=self.number_of_tenderers.data,
            cpv_code=self.cpv_code.data,
            lifecycle_override=self.lifecycle_override.data,
        )


class RetractForm(Form):
    reason = wtforms.TextAreaField(
        "Why is this contract being retracted?",
        validators=[
            required("why the contract is being retracted"),
            length("reason", 2000),
        ],
        description="This is published with the contract. For example: recorded twice, or "
        "recorded against the wrong supplier.",
    )


class ExtendForm(Form):
    extended_on = _date(
        "Date the extension was agreed", "the date the extension was agreed", optional=False
    )
    new_end_date = _date("New end date", "the new end date", optional=False)
    reason = wtforms.TextAreaField(
        "Reason for the extension",
        validators=[required("the reason for the extension"), length("reason", 2000)],
    )

    def validate_extended_on(self, field: wtforms.Field) -> None:
        if field.data and field.data > clock.today() + datetime.timedelta(days=366):
            raise validators.ValidationError(
                "Date the extension was agreed cannot be more than a year in the future"
            )


class ConfirmForm(Form):
    """A POST with only the CSRF token: publishing needs nothing else."""
