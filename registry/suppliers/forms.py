"""Admin forms for suppliers, groups and merges. The forms read what was typed; the rules about
suppliers (formats, uniqueness, groups) are the service's, so every way in keeps them."""

from __future__ import annotations

import wtforms
from wtforms.fields.choices import SelectChoice

from registry.forms import MAX_TEXT, Form, length, optional_text, required
from registry.suppliers.services import SupplierInput, parse_aliases

SME_CHOICES = [SelectChoice("", "Not known"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
GROUP_CHOICES = [
    SelectChoice("own", "It is its own group (a new group named after it)"),
    SelectChoice("existing", "An existing group"),
    SelectChoice("new", "A new group with another name"),
]


class SupplierForm(Form):
    name = wtforms.StringField(
        "Name", validators=[required("the supplier's name"), length("name", 300)]
    )
    companies_house_number = optional_text(
        "Companies House number (optional)",
        "Companies House number",
        20,
        description="8 digits, or 2 letters and 6 digits, like 01234567 or SC123456",
    )
    duns = optional_text(
        "DUNS number (optional)", "DUNS number", 20, description="9 digits, like 123456789"
    )
    party_id = optional_text(
        "PPON or OCDS party identifier (optional)",
        "party identifier",
        200,
        description="As published in contract notices, like GB-COH-01234567",
    )
    sme = wtforms.SelectField("Small or medium-sized enterprise (SME)", choices=SME_CHOICES)
    aliases = optional_text(
        "Other names (optional)",
        "other names",
        MAX_TEXT,
        area=True,
        description="Trading names and former names, one a line. They are searched too.",
    )

    def to_input(self) -> SupplierInput:
        return SupplierInput(
            name=self.name.data or "",
            companies_house_number=self.companies_house_number.data,
            duns=self.duns.data,
            party_id=self.party_id.data,
            sme={"yes": True, "no": False}.get(self.sme.data or ""),
            aliases=parse_aliases(self.aliases.data),
        )


class GroupChoiceMixin:
    """Choose an existing group by name or number, or name a new one."""

    group_choice = wtforms.RadioField(
        "Group", choices=GROUP_CHOICES, default="own", validate_choice=False
    )
    group = optional_text(
        "Existing group",
        "group",
        300,
        description="The group's exact name, or its number from the groups page",
    )
    new_group_name = optional_text("New group's name", "new group's name", 300)


class NewSupplierForm(GroupChoiceMixin, SupplierForm):
    pass


class MoveGroupForm(Form):
    group_choice = wtforms.RadioField(
        "Move to",
        choices=[c for c in GROUP_CHOICES if c.value != "own"],
        default="existing",
        validate_choice=False,
    )
    group = GroupChoiceMixin.group
    new_group_name = GroupChoiceMixin.new_group_name
    reason = wtforms.TextAreaField(
        "Why is it changing group?",
        validators=[required("why the supplier is changing group"), length("reason", MAX_TEXT)],
        description="For example, the acquisition and its date. Shares of markets are measured on "
        "groups, so this is kept in the audit trail.",
    )


class GroupForm(Form):
    name = wtforms.StringField(
        "Group name", validators=[required("the group's name"), length("group name", 300)]
    )
    companies_house_number = optional_text(
        "Parent company's Companies House number (optional)",
        "Companies House number",
        20,
        description="8 digits, or 2 letters and 6 digits",
    )


class MergeForm(Form):
    survivor = wtforms.StringField(
        "The record to keep",
        validators=[required("the record to keep"), length("record to keep", 300)],
        description="Its name, registry number (in the address of its page) or Companies House "
        "number",
    )
    reason = wtforms.TextAreaField(
        "Why are these the same company?",
        validators=[required("why these records are the same company"), length("reason", MAX_TEXT)],
    )


class ReasonForm(Form):
    reason = wtforms.TextAreaField(
        "Why is the merge being reversed?",
        validators=[required("why the merge is being reversed"), length("reason", MAX_TEXT)],
    )
