"""The search backend interface, and the plain data it answers with."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from zope.interface import Attribute, Interface

# What the index holds, in the order results are grouped on the page.
KINDS = ("supplier", "framework", "lot", "obligation", "contract")
KIND_LABELS = {
    "supplier": "Suppliers",
    "framework": "Frameworks",
    "lot": "Lots",
    "obligation": "Obligations",
    "contract": "Contracts",
}
# Facets every backend fills: a new one is a Document field, a name here, and its label.
FACETS = ("kind", "frameworks", "category", "score_band", "open_flags")
MAX_QUERY_LENGTH = 200


class SearchUnavailable(Exception):
    """The index is missing or unreadable: search is being rebuilt (`registry reindex`)."""


class SearchTooBroad(ValueError):
    """The query would stand for too much of the index (registry.search.breadth): its message
    says why, for the person who typed it."""


@dataclasses.dataclass
class Document:
    """One searchable record, as every backend indexes it."""

    kind: str
    record_id: int
    title: str
    body: str = ""
    identifiers: str = ""
    names: str = ""
    sells: str = ""  # suppliers: what they sell (registry.search.offers); searched, not shown
    frameworks: list[str] = dataclasses.field(default_factory=list)
    category: str = ""
    score_band: str = ""  # suppliers: the band of the current overall score
    open_flags: str = ""  # suppliers: "yes" when their group has an open lock-in flag
    link: str = ""  # the reference or id the record's page is found by

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record_id}"


@dataclasses.dataclass
class Hit:
    document: Document
    score: float = 0.0


@dataclasses.dataclass
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclasses.dataclass
class SearchResults:
    query: str
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    notice: str | None = None  # e.g. "your search was shortened"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def grouped(self) -> list[tuple[str, list[Hit]]]:
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(hit.document.kind, []).append(hit)
        return [(kind, groups[kind]) for kind in KINDS if kind in groups]


class ISearchService(Interface):
    name = Attribute("the backend's name, shown to operators")

    def search(
        query: str,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResults:
        """Published records matching `query` (forgiving: never raises on bad syntax).
        Raises SearchUnavailable when the index is missing or unreadable, and SearchTooBroad
        when the query passes the limits of registry.search.breadth."""

    def index(documents: Iterable[Document], removed: Iterable[str] = ()) -> None:
        """Add or replace these documents and drop the keys in `removed`."""

    def rebuild(documents: Iterable[Document]) -> int:
        """Replace the whole index with these documents; returns how many were indexed."""

    def create() -> None:  # type: ignore[misc]
        """Create an empty index when there is none (`registry init`)."""

    def check() -> str | None:  # type: ignore[misc]
        """None when the index is usable; otherwise what is wrong with it."""

    def outdated() -> bool:  # type: ignore[misc]
        """The index was built by an older version, with other fields: `registry init`
        rebuilds it."""


def selected_filters(params: Any) -> dict[str, list[str]]:
    """The facet filters in a request's query string (?kind=supplier&frameworks=RM1)."""
    return {
        name: [v for v in params.getall(name) if v][:20] for name in FACETS if params.getall(name)
    }
