"""Search for more than one app server: PostgreSQL full-text search straight over the tables.

Nothing is stored beside the data, so there is no local directory to share, nothing to rebuild,
and a query can never see another transaction's uncommitted rows. `to_tsvector` is computed in the
query; a deployment with national data can add expression GIN indexes on the same expressions."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.frameworks.models import Framework, Lot, Obligation
from registry.records import Publication
from registry.search.documents import documents_for
from registry.search.highlight import plain_words, tidy_query
from registry.search.interfaces import (
    FACETS,
    Document,
    FacetValue,
    Hit,
    ISearchService,
    SearchResults,
)
from registry.suppliers.models import Supplier, SupplierGroup

CONFIG = "english"
MATCH_CAP = 1000  # the best matches that are grouped, faceted and paged


def _text(*columns: Any) -> Any:
    return sa.func.concat_ws(" ", *columns)


def _sources() -> list[tuple[str, Any, Any, list[Any], list[tuple[Any, Any]]]]:
    """(kind, id column, text expression, public-only conditions, joins) for each kind: the same
    words the Whoosh documents hold (a lot's framework reference, a contract's buyer)."""
    live = Framework.retracted_at.is_(None)
    return [
        (
            "framework",
            Framework.id,
            _text(
                Framework.reference, Framework.title, Framework.owner_body, Framework.description
            ),
            [live],
            [],
        ),
        (
            "lot",
            Lot.id,
            _text(Framework.reference, Lot.title, Lot.description),
            [Lot.retracted_at.is_(None), live],
            [(Framework, Lot.framework_id == Framework.id)],
        ),
        (
            "supplier",
            Supplier.id,
            _text(
                Supplier.name,
                sa.cast(Supplier.aliases, sa.Text),
                SupplierGroup.name,
                Supplier.companies_house_number,
                Supplier.duns,
                Supplier.party_id,
            ),
            [Supplier.merged_into_id.is_(None)],
            [(SupplierGroup, Supplier.group_id == SupplierGroup.id)],
        ),
        (
            "obligation",
            Obligation.id,
            _text(
                Obligation.title,
                Obligation.description,
                Obligation.standard_reference,
                Obligation.category,
                Framework.reference,
            ),
            [Obligation.retracted_at.is_(None), live],
            [(Framework, Obligation.framework_id == Framework.id)],
        ),
        (
            "contract",
            Contract.id,
            _text(
                Contract.title,
                Contract.description,
                Contract.reference,
                Contract.ocid,
                Buyer.name,
                Supplier.name,
            ),
            [Contract.publication == Publication.published, Contract.retracted_at.is_(None)],
            [
                (Buyer, Contract.buyer_id == Buyer.id),
                (Supplier, Contract.supplier_id == Supplier.id),
            ],
        ),
    ]


@implementer(ISearchService)
class PostgresSearchService:
    name = "postgresql"
    indexes_on_commit = False

    def __init__(self, db: Session) -> None:
        self.db = db

    @classmethod
    def from_settings(cls, settings: dict[str, Any], db: Session) -> PostgresSearchService:
        return cls(db)

    @staticmethod
    def check_settings(settings: dict[str, Any]) -> str | None:
        if not str(settings.get("sqlalchemy.url", "")).startswith("postgresql"):
            return "the PostgreSQL search backend needs a PostgreSQL database (sqlalchemy.url)"
        return None

    def check(self) -> str | None:
        return None

    def create(self) -> None:
        """Nothing to create: the tables are the index."""

    def index(self, documents: Iterable[Document], removed: Iterable[str] = ()) -> None:
        """Nothing to do: every query reads the committed tables."""

    def rebuild(self, documents: Iterable[Document]) -> int:
        return sum(1 for _ in documents)

    def _matches(self, text: str) -> list[tuple[str, int]]:
        tsquery = sa.func.websearch_to_tsquery(CONFIG, text)
        selects = []
        for kind, id_column, expression, public, joins in _sources():
            vector = sa.func.to_tsvector(CONFIG, expression)
            select = sa.select(
                sa.literal(kind).label("kind"),
                id_column.label("record_id"),
                sa.func.ts_rank(vector, tsquery).label("rank"),
            ).select_from(id_column.table)
            for target, on in joins:
                select = select.join(target, on)
            selects.append(select.where(vector.op("@@")(tsquery), *public))
        union = sa.union_all(*selects).subquery()
        rows = self.db.execute(
            sa.select(union.c.kind, union.c.record_id)
            .order_by(union.c.rank.desc(), union.c.kind, union.c.record_id)
            .limit(MATCH_CAP)
        )
        return [(r.kind, r.record_id) for r in rows]

    def search(
        self,
        query_text: str,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResults:
        text, notice = tidy_query(query_text)
        filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
        words = plain_words(text)
        matches = self._matches(text) if words else []
        wanted: dict[str, set[int]] = {}
        for kind, record_id in matches:
            wanted.setdefault(kind, set()).add(record_id)
        # The document builder is the one the Whoosh index uses: public records only, and the
        # same facet values (a lot's framework, a supplier's frameworks).
        docs, _ = documents_for(self.db, wanted)
        by_key = {d.key: d for d in docs}
        ordered = [by_key[f"{k}:{i}"] for k, i in matches if f"{k}:{i}" in by_key]
        chosen = [d for d in ordered if _passes(d, filters)]
        facets = {name: _facet(name, chosen, filters) for name in FACETS}
        total = len(chosen)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        hits = [Hit(d) for d in chosen[(page - 1) * page_size : page * page_size]]
        suggestion = self._suggest(words) if words and not matches else None
        return SearchResults(text, hits, total, page, page_size, facets, suggestion, notice)

    def _suggest(self, words: list[str]) -> str | None:
        # Supplier names are thousands, not millions: close matches are found in Python.
        rows = self.db.execute(
            sa.select(Supplier.name, Supplier.aliases)
            .where(Supplier.merged_into_id.is_(None))
            .limit(50000)
        ).all()
        titles = self.db.execute(
            sa.select(Contract.title)
            .where(Contract.publication == Publication.published)
            .distinct()
            .limit(20000)
        ).scalars()
        texts = [" ".join([name, *(aliases or [])]) for name, aliases in rows] + list(titles)
        vocabulary: dict[str, str] = {}
        for text in texts:
            for word in text.split():
                vocabulary.setdefault(word.lower().strip(".,()"), word.strip(".,()"))
        corrected = []
        for word in words:
            close = difflib.get_close_matches(word.lower(), list(vocabulary), n=1, cutoff=0.75)
            corrected.append(vocabulary[close[0]] if close and len(word) > 3 else word)
        if [c.lower() for c in corrected] == [w.lower() for w in words]:
            return None
        return " ".join(corrected)


def _values(doc: Document, name: str) -> list[str]:
    if name == "kind":
        return [doc.kind]
    if name == "frameworks":
        return doc.frameworks
    value = getattr(doc, name, "")
    return [value] if isinstance(value, str) and value else []


def _passes(doc: Document, filters: dict[str, list[str]]) -> bool:
    return all(set(_values(doc, name)) & set(values) for name, values in filters.items())


def _facet(name: str, docs: list[Document], filters: dict[str, list[str]]) -> list[FacetValue]:
    counts = Counter(v for d in docs for v in _values(d, name))
    chosen = set(filters.get(name, []))
    values = [FacetValue(v, n, v in chosen) for v, n in counts.items()]
    values += [FacetValue(v, 0, True) for v in chosen if v not in counts]
    return sorted(values, key=lambda f: (-f.count, f.value))
