"""Admin forms for products and their links. Vendor and clash checks are the service's."""

from __future__ import annotations

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry.contracts.forms import MoneyField
from registry.forms import MAX_TEXT, Form, WholeNumberField, length, optional_text, required
from registry.products.models import ContractProduct, SupportCover
from registry.products.services import ProductInput

DATE_HINT = "For example, 2014-04-08"


def _date_field(label: str, name: str, description: str) -> wtforms.DateField:
    return wtforms.DateField(
        label,
        validators=[validators.Optional()],
        description=f"{description}. {DATE_HINT}",
        invalid_value_message=f"{name.capitalize()} must be a real date, like 2014-04-08",
    )


class ProductForm(Form):
    name = wtforms.StringField(
        "Name", validators=[required("the product's name"), length("name", 200)]
    )
    version = optional_text("Version (optional)", "version", 60)
    vendor = wtforms.StringField(
        "Vendor",
        validators=[required("the vendor's supplier group"), length("vendor", 300)],
        description="The vendor's supplier group, as the supplier pages name it, like Microsoft Corporation",
    )
    mainstream_support_end = _date_field(
        "End of mainstream support (optional)",
        "end of mainstream support",
        "The last day of the vendor's mainstream support",
    )
    extended_support_end = _date_field(
        "End of extended support (optional)",
        "end of extended support",
        "The last day of security fixes; on or after the end of mainstream support",
    )
    source_url = wtforms.URLField(
        "Source (optional)",
        validators=[
            validators.Optional(),
            validators.URL(require_tld=True, message="Enter the source as a web address"),
            length("source", 500),
        ],
        description="The vendor's published lifecycle page",
    )
    notes = optional_text("Notes (optional)", "notes", MAX_TEXT, area=True)

    def to_input(self) -> ProductInput:
        return ProductInput(
            name=self.name.data or "",
            vendor=self.vendor.data or "",
            version=self.version.data or "",
            mainstream_support_end=self.mainstream_support_end.data,
            extended_support_end=self.extended_support_end.data,
            source_url=self.source_url.data,
            notes=self.notes.data or "",
        )


class ContractLinkForm(Form):
    contract = wtforms.StringField(
        "Contract reference",
        validators=[required("the contract's reference"), length("contract reference", 200)],
        description="The contract that depends on this product, like SEED-XP-0001",
    )
    quantity = WholeNumberField(
        "Quantity (optional)",
        column=ContractProduct.quantity,
        maximum=10**9,
        validators=[validators.Optional()],
    )
    unit_price = MoneyField(
        "Unit price in pounds (optional)",
        column=ContractProduct.unit_price,
        maximum=10**9,
        places=2,
        validators=[validators.Optional()],
    )
    unit = optional_text(
        "Unit (optional)", "unit", 60, description="What one unit is, like per user per year"
    )


COVER_CHOICES = [SelectChoice(c.value, c.value.capitalize()) for c in SupportCover]


class ObligationLinkForm(Form):
    obligation = WholeNumberField(
        "Obligation number",
        minimum=1,
        validators=[required("the obligation's number")],
        description="The number in the obligation's edit link on its framework page",
    )
    cover = wtforms.RadioField(
        "How it covers the product",
        choices=COVER_CHOICES,
        validators=[required("how the obligation covers the product")],
    )
