from __future__ import annotations

import wtforms
from wtforms import validators

from registry.forms import Form, length


class LoginForm(Form):
    email = wtforms.EmailField(
        "E-mail address",
        validators=[
            validators.InputRequired(message="Enter your e-mail address"),
            length("e-mail address", 320),
            validators.Email(
                message="Enter an e-mail address in the right form, like name@example.org",
                check_deliverability=False,
            ),
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
