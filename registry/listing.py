"""A list page's filters read from its query string.

Each list page (users, buyers, suppliers, groups, frameworks) reads the same kinds of parameter:
search text, a value that must be one of a list, a sort. A bad value is dropped with a message for
the page, never a 500, and the page lists as if it had not been given.
"""

from __future__ import annotations

from collections.abc import Collection

from pyramid.request import Request

MAX_SEARCH_TEXT = 200


class ListFilters:
    """The query string's filters, and the messages for the ones that were dropped."""

    def __init__(self, request: Request) -> None:
        self.params = request.params
        self.errors: list[str] = []

    def search_text(self, name: str = "q") -> str:
        """The search text, stripped; "" when there is none or it is too long to be a search."""
        text = str(self.params.get(name, "")).strip()
        if len(text) > MAX_SEARCH_TEXT:
            self.errors.append(f"Search text must be {MAX_SEARCH_TEXT} characters or fewer")
            return ""
        return text

    def choice(self, name: str, choices: Collection[str], message: str) -> str:
        """The parameter when it is one of `choices`; "" (and `message` shown) otherwise."""
        value = str(self.params.get(name, "")).strip()
        if value in choices:
            return value
        if value:
            self.errors.append(message)
        return ""

    def sort(self, sorts: Collection[str], default: str) -> str:
        """The ?sort= key when the page offers it; an unknown one quietly means the default."""
        sort = str(self.params.get("sort", default))
        return sort if sort in sorts else default
