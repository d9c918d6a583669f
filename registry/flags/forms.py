from __future__ import annotations

import wtforms
from wtforms.fields.choices import SelectChoice

from registry.flags.models import FlagStatus
from registry.forms import MAX_TEXT, Form, length, required

LABELS = {
    FlagStatus.acknowledged: "Acknowledge: the pattern is real and being looked into",
    FlagStatus.resolved: "Resolve: the cause has been dealt with",
    FlagStatus.dismissed: "Dismiss: not a concern (say why)",
}


class FlagStatusForm(Form):
    status = wtforms.RadioField(
        "What do you want to do with this flag?",
        choices=[SelectChoice(s.value, label) for s, label in LABELS.items()],
        validators=[required("what to do with the flag")],
    )
    reason = wtforms.TextAreaField(
        "Reason",
        description="Say what you found. The reason is published with the flag's history.",
        validators=[required("the reason for the change"), length("the reason", MAX_TEXT)],
    )

    def __init__(self, *args: object, allowed: list[FlagStatus], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, LABELS[s]) for s in allowed if s in LABELS]

    def validate_reason(self, field: wtforms.Field) -> None:
        if field.data is not None and not field.data.strip():
            raise wtforms.validators.ValidationError("Enter the reason for the change")
