"""Every form the app serves, found by fetching every GET route (as an admin, who may see every
form, and the sign-in page as a visitor), so a form added by any feature is covered."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import webtest
from webtest.forms import File, Hidden, Submit

from tests.common import access
from tests.common.formfields import kinds_by_name


class FoundForm:
    def __init__(self, page: str, client: access.Client, form: webtest.Form) -> None:
        self.page = page
        self.client = client
        self.method = (form.method or "GET").upper()
        self.action = urlsplit(form.action or page).path or page
        self.fields: list[tuple[str, Any]] = [
            (name, field)
            for name, fields in form.fields.items()
            for field in fields[:1]
            if name and not isinstance(field, Submit)
        ]

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, self.action, tuple(sorted(n for n, _ in self.fields)))

    @property
    def has_file(self) -> bool:
        return any(isinstance(f, File) for _, f in self.fields)

    def of_kind(self, kind: str) -> list[tuple[str, Any]]:
        """The fields for numbers or for dates: rendered so (`inputmode` numeric or decimal,
        `type="date"`), or named so in the form classes (a date some page shows as text)."""
        kinds = kinds_by_name()
        return [
            (n, f) for n, f in self.fields if _rendered_kind(f) == kind or kinds.get(n) == {kind}
        ]

    def submit(self, bad: str | bytes, keep_hidden: bool = False) -> webtest.TestResponse:
        """Every field sent as `bad` (with `keep_hidden`, hidden fields as the page gave them:
        the record's version, the page to return to)."""
        pairs: list[tuple[str, str | bytes]] = []
        files = []
        for name, field in self.fields:
            if name == "csrf_token":
                pairs.append((name, self.client.csrf))
            elif keep_hidden and isinstance(field, Hidden):
                pairs.append((name, field.value or ""))
            elif isinstance(field, File):
                content = bad if isinstance(bad, bytes) else bad.encode()
                files.append((name, "bad.csv", content))
            elif self.has_file and isinstance(bad, bytes):
                pairs.append((name, field.value or ""))  # multipart: the bytes go in the file
            else:  # text, selects, checkboxes and hidden fields alike: the server must cope
                pairs.append((name, bad))
        if self.method == "GET":
            return self.client.get(self.action + "?" + urlencode(pairs))
        if files:
            return self.client.post(self.action, [(n, v) for n, v in pairs], upload_files=files)
        return self.client.post(
            self.action,
            urlencode(pairs).encode("ascii"),
            content_type="application/x-www-form-urlencoded",
        )


def _rendered_kind(field: Any) -> str:
    if field.attrs.get("type") == "date":
        return "date"
    return "number" if field.attrs.get("inputmode") in ("numeric", "decimal") else "other"


def find_forms(planting: access.Planting) -> list[FoundForm]:
    found: dict[Any, FoundForm] = {}
    pages = [("anonymous", "/login")]
    for view in access.route_views():
        if view.method == "GET" and not view.token_api and view.route != "accounts.logout":
            try:
                _label, params = access.variants(view, planting.planted)[0]
            except access.UnfillableRoute:
                continue  # the access matrix names it
            pages.append(("admin", access.fill(view.pattern, params)))
    for role, page in pages:
        client = planting.clients[role]
        response = client.get(page)
        if response.status_int != 200 or "html" not in response.content_type:
            continue
        for form in response.forms.values():
            candidate = FoundForm(page, client, form)
            if candidate.fields and candidate.key not in found:
                found[candidate.key] = candidate
    return list(found.values())
