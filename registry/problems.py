"""How a service refuses a change: (field name, message) problems, for the form, API body or
file line that asked, so each way in can name what was wrong and nothing is written."""

from __future__ import annotations

# (field name, message); an empty field name is a problem with the whole request.
Problem = tuple[str, str]


class ServiceError(ValueError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        super().__init__("; ".join(message for _, message in errors))
