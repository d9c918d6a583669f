"""Admin forms for buyers. Identifier rules (ODS format, uniqueness per scheme) are the service's."""

from __future__ import annotations

import wtforms
from wtforms.fields.choices import SelectChoice

from registry.buyers.models import BuyerType
from registry.buyers.services import BuyerInput
from registry.forms import Form, length, optional_text, required

TYPE_CHOICES = [SelectChoice("", "Choose a type")] + [
    SelectChoice(t.value, t.value[:1].upper() + t.value[1:]) for t in BuyerType
]


class BuyerForm(Form):
    name = wtforms.StringField(
        "Name", validators=[required("the buyer's name"), length("name", 300)]
    )
    buyer_type = wtforms.SelectField(
        "Type of public body",
        choices=TYPE_CHOICES,
        validators=[required("the type of public body")],
    )
    region = optional_text(
        "Region (optional)",
        "region",
        100,
        description="For NHS bodies, the NHS England region, like North East and Yorkshire",
    )
    identifier_scheme = optional_text(
        "Identifier scheme (optional)",
        "identifier scheme",
        40,
        description="GB-NHS-ODS for NHS bodies' ODS codes; GB-GOR for central government; "
        "GB-LAE for English local authorities",
    )
    identifier = optional_text(
        "Identifier (optional)",
        "identifier",
        100,
        description="For an NHS body, its ODS code, like RR8 or A81001",
    )
    party_id = optional_text("OCDS party identifier (optional)", "party identifier", 200)

    def to_input(self) -> BuyerInput:
        return BuyerInput(
            name=self.name.data or "",
            buyer_type=self.buyer_type.data or "",
            region=self.region.data,
            identifier_scheme=self.identifier_scheme.data,
            identifier=self.identifier.data,
            party_id=self.party_id.data,
        )
