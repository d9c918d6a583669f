from __future__ import annotations

from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from registry.accounts.services import (
    MAX_EMAIL,
    MIN_PASSWORD_LENGTH,
    email_problem,
    guessable_password,
)
from registry.forms import Form, length, required


def sign_in_address(form: Any, field: wtforms.Field) -> None:
    """The address as sign-in takes it (`email_problem`, shared with `registry user add`)."""
    data = (field.data or "").strip()
    if data and len(data) <= MAX_EMAIL and (problem := email_problem(data)):
        raise validators.ValidationError(
            f"Enter an e-mail address in the right form, like name@example.org ({problem})"
        )


class LoginForm(Form):
    email = wtforms.EmailField(
        "E-mail address",
        validators=[
            validators.InputRequired(message="Enter your e-mail address"),
            length("e-mail address", MAX_EMAIL),
            sign_in_address,
        ],
    )
    password = wtforms.PasswordField(
        "Password",
        validators=[
            validators.InputRequired(message="Enter your password"),
            length("password", 1024),
        ],
    )
    next = wtforms.HiddenField()


ROLE_CHOICES = [
    SelectChoice("officer", "Officer (works for a buyer)"),
    SelectChoice("supplier", "Supplier user (speaks for a supplier)"),
    SelectChoice("auditor", "Auditor"),
    SelectChoice("admin", "Admin"),
]
ORGANISATION_HINT = (
    "For an officer, the buyer: its name, identifier (such as an ODS code) or registry number. "
    "For a supplier user, the supplier: its name, Companies House number or registry number. "
    "Leave empty for auditors and admins."
)
PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters, and not a common or easily guessed password: "
    "a few unrelated words make a good one. Pass it on to the user securely; "
    "they should not reuse it elsewhere."
)


def _hard_to_guess(form: Any, field: wtforms.Field) -> None:
    # Only once the length is right: one message at a time.
    data = field.data or ""
    if MIN_PASSWORD_LENGTH <= len(data) <= 1024 and (problem := guessable_password(data)):
        raise validators.ValidationError(problem)


def _password_fields() -> tuple[wtforms.PasswordField, wtforms.PasswordField]:
    password = wtforms.PasswordField(
        "Password",
        description=PASSWORD_HINT,
        validators=[
            validators.InputRequired(message="Enter a password"),
            validators.Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"The password must be between {MIN_PASSWORD_LENGTH} and 1024 characters",
            ),
            _hard_to_guess,
        ],
    )
    confirm = wtforms.PasswordField(
        "Confirm the password",
        validators=[
            validators.InputRequired(message="Enter the password again"),
            validators.EqualTo("password", message="The passwords do not match"),
        ],
    )
    return password, confirm


def _organisation_field() -> wtforms.StringField:
    return wtforms.StringField(
        "Organisation",
        description=ORGANISATION_HINT,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[length("organisation", 300)],
    )


def _role_field(blank: bool = False) -> wtforms.SelectField:
    choices = [SelectChoice("", "Choose a role"), *ROLE_CHOICES] if blank else ROLE_CHOICES
    return wtforms.SelectField(
        "Role",
        choices=choices,
        validate_choice=True,
        validators=[validators.InputRequired(message="Choose a role")],
    )


def _reason_field() -> wtforms.TextAreaField:
    return wtforms.TextAreaField(
        "Reason",
        description="Kept in the audit trail with the change.",
        validators=[required("the reason for the change"), length("reason", 2000)],
    )


class NewUserForm(Form):
    email = wtforms.EmailField(
        "E-mail address",
        description="The user signs in with this address.",
        validators=[
            validators.InputRequired(message="Enter the user's e-mail address"),
            length("e-mail address", MAX_EMAIL),
            sign_in_address,
        ],
    )
    name = wtforms.StringField(
        "Full name", validators=[required("the user's full name"), length("full name", 200)]
    )
    role = _role_field(blank=True)
    organisation = _organisation_field()
    password, confirm = _password_fields()


class RoleForm(Form):
    role = _role_field()
    organisation = _organisation_field()
    reason = _reason_field()


class ReasonForm(Form):
    reason = _reason_field()


class PasswordForm(Form):
    password, confirm = _password_fields()
    reason = _reason_field()
