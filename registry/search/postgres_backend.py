"""Search for more than one app server: PostgreSQL full-text search straight over the tables.

The words are kept in the database itself (search_vectors, GIN-indexed, filled by triggers in the
same transaction as the rows: migration 0016), so there is no local directory to share, nothing to
rebuild, and a query can never see another transaction's uncommitted rows."""

from __future__ import annotations

import difflib
import re
import time
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.contracts.models import Contract
from registry.frameworks.models import Framework, Lot, Membership, MembershipStatus
from registry.markets.cpv import CPV_NAMES
from registry.products.models import Product
from registry.records import Publication
from registry.search.breadth import Limits, check_wildcards, too_slow
from registry.search.documents import FacetValues, among, documents_for, facet_values_for
from registry.search.highlight import WORD, plain_words, tidy_query
from registry.search.interfaces import (
    FACETS,
    Document,
    FacetValue,
    Hit,
    ISearchService,
    SearchResults,
)
from registry.search.models import SearchVector, SupplierSells
from registry.search.offers import cpv_words
from registry.suppliers.models import Supplier

CONFIG = "english"
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout stops a statement
MATCH_CAP = 1000  # the best matches that are grouped, faceted and paged
SELLS_TIER = 1000.0  # as the Whoosh backend: a seller of what was asked for comes first
# Ranked as before the titles were weighted: every weight as the default, unweighted, one.
ALIKE = "'{0.1,0.1,0.1,0.1}'::float4[]"
EVERY_WEIGHT_ALIKE: sa.ColumnClause[Any] = sa.literal_column(ALIKE)


@implementer(ISearchService)
class PostgresSearchService:
    name = "postgresql"
    indexes_on_commit = False

    def __init__(self, db: Session, limits: Limits | None = None) -> None:
        self.db = db
        self.limits = limits or Limits()

    @classmethod
    def from_settings(cls, settings: dict[str, Any], db: Session) -> PostgresSearchService:
        return cls(db, Limits.from_settings(settings))

    @staticmethod
    def check_settings(settings: dict[str, Any]) -> str | None:
        if not str(settings.get("sqlalchemy.url", "")).startswith("postgresql"):
            return "the PostgreSQL search backend needs a PostgreSQL database (sqlalchemy.url)"
        return None

    def check(self) -> str | None:
        return None

    def outdated(self) -> bool:
        return False  # the tables are the index, and the migrations keep them current

    def create(self) -> None:
        """Nothing to create: the tables are the index."""

    def index(self, documents: Iterable[Document], removed: Iterable[str] = ()) -> None:
        """Nothing to do: every query reads the committed tables."""

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Nothing to rebuild: the triggers keep the vectors. The records searchable, counted
        from them (the documents are not built: at a million, that took minutes for nothing)."""
        vectors = SearchVector.__table__
        return int(self.db.execute(sa.select(sa.func.count()).select_from(vectors)).scalar_one())

    def _matches(self, text: str) -> list[tuple[str, int]]:
        # Only public records have a vector: one GIN-indexed table answers. Suppliers that sell
        # what was asked for (registry.search.offers) come first, in a tier of their own: found
        # among the GIN-indexed titles they sell under (supplier_sells, migration 0030).
        tsquery = _tsquery(text)
        vectors = SearchVector.__table__
        hits = sa.select(
            vectors.c.kind,
            vectors.c.record_id,
            sa.func.ts_rank(EVERY_WEIGHT_ALIKE, vectors.c.vector, tsquery).label("rank"),
        ).where(vectors.c.vector.op("@@")(tsquery))
        sellers = _sellers(tsquery, among(self.db, self._cpv_lots(tsquery))).subquery()
        sold = sa.select(
            sa.literal("supplier").label("kind"),
            sellers.c.supplier_id,
            sa.literal(SELLS_TIER).label("rank"),
        )
        both = sa.union_all(hits, sold).subquery()
        rank = sa.func.sum(both.c.rank)
        select = (
            sa.select(both.c.kind, both.c.record_id)
            .group_by(both.c.kind, both.c.record_id)
            .order_by(rank.desc(), both.c.kind, both.c.record_id)
            .limit(MATCH_CAP)
        )
        return [(r.kind, r.record_id) for r in self._within_budget(select)]

    def _cpv_lots(self, tsquery: Any) -> list[int]:
        """The public lots whose CPV codes' names match (the names are the registry's own list,
        registry.markets.cpv, not a table: matched here, then the few lots read)."""
        names = sa.func.unnest(sa.literal(sorted(set(CPV_NAMES.values())), ARRAY(sa.Text)))
        name = sa.column("name", sa.Text)
        matching = set(
            self.db.execute(
                sa.select(name)
                .select_from(names.alias("name"))
                .where(sa.func.to_tsvector(CONFIG, name).op("@@")(tsquery))
            ).scalars()
        )
        if not matching:
            return []
        lots = self.db.execute(
            sa.select(Lot.id, Lot.cpv_codes)
            .join(Framework, Lot.framework_id == Framework.id)
            .where(Lot.retracted_at.is_(None), Framework.retracted_at.is_(None))
        )
        return [lot_id for lot_id, codes in lots if matching & set(cpv_words(codes or []))]

    def _within_budget(self, select: Any) -> list[Any]:
        """The rows of `select`, run under a statement_timeout of the time budget, in a
        savepoint: a query stopped by it leaves the request's transaction usable. The savepoint
        is rolled back, never released: the statement only reads, and the rollback puts the
        settings back as they were in the round trip a release would take (under load each
        round trip cost several milliseconds)."""
        settings = {
            "statement_timeout": f"{self.limits.time_budget * 1000:.0f}",
            # The planner prices a tsvector match as cheap as a comparison, so it scans the whole
            # table rather than the GIN index (70 ms against 9 at 100,000 records).
            "enable_seqscan": "off",
        }
        write = sa.func.set_config
        try:
            savepoint = self.db.begin_nested()
            try:
                self.db.execute(sa.select(*(write(n, v, True) for n, v in settings.items())))
                rows = list(self.db.execute(select))
            finally:
                savepoint.rollback()
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
                raise too_slow(self.limits.time_budget) from None
            raise
        return rows

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
        check_wildcards(text)  # PostgreSQL reads * and ? as spaces: refused alike on both
        words = plain_words(text)
        matches = self._matches(text) if words else []
        wanted: dict[str, set[int]] = {}
        for kind, record_id in matches:
            wanted.setdefault(kind, set()).add(record_id)
        # Every match is counted and filtered by its facet values alone; whole documents (built
        # as the Whoosh index builds them: public records only) are read for the page shown.
        values = facet_values_for(self.db, wanted)
        chosen = [
            key
            for key in (f"{kind}:{record_id}" for kind, record_id in matches)
            if key in values and _passes(values[key], filters)
        ]
        facets = {name: _facet(name, [values[key] for key in chosen], filters) for name in FACETS}
        total = len(chosen)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        shown = chosen[(page - 1) * page_size : page * page_size]
        on_page: dict[str, set[int]] = {}
        for key in shown:
            kind, number = key.split(":")
            on_page.setdefault(kind, set()).add(int(number))
        docs = {d.key: d for d in documents_for(self.db, on_page, shown=True, facets=values)[0]}
        hits = [Hit(docs[key]) for key in shown if key in docs]
        suggestion = self._suggest(words) if words and not matches else None
        return SearchResults(text, hits, total, page, page_size, facets, suggestion, notice)

    def _suggest(self, words: list[str]) -> str | None:
        vocabulary = _vocabulary(self.db)
        corrected = []
        for word in words:
            # Like Whoosh's corrector (prefix=1): candidates share the first letter.
            known = vocabulary.get(word[:1].lower(), {})
            close = difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.75)
            corrected.append(known[close[0]] if close and len(word) > 3 else word)
        if [c.lower() for c in corrected] == [w.lower() for w in words]:
            return None
        return " ".join(corrected)


# The words "did you mean" corrects against, per database, by first letter: reading them costs
# seconds at national scale, so they are kept until a supplier or contract is added, or for a few
# minutes (a renamed supplier's new name may be suggested that much later).
VOCABULARY_SECONDS = 300.0
_vocabularies: dict[Any, tuple[float, dict[str, dict[str, str]]]] = {}


def _vocabulary(db: Session) -> dict[str, dict[str, str]]:
    newest = db.execute(
        sa.select(sa.select(sa.func.max(Supplier.id)).scalar_subquery(), sa.func.max(Contract.id))
    ).one()
    key = (db.get_bind().engine.url.render_as_string(hide_password=True), *newest)
    cached = _vocabularies.get(key)
    if cached is not None and time.monotonic() - cached[0] < VOCABULARY_SECONDS:
        return cached[1]
    _vocabularies.clear()  # one database's words at a time
    # Supplier names and aliases, and contract titles (which name the products).
    names = db.execute(
        sa.select(sa.func.concat_ws(" ", Supplier.name, sa.cast(Supplier.aliases, sa.Text)))
        .where(Supplier.merged_into_id.is_(None))
        .limit(50000)
    ).scalars()
    titles = db.execute(
        sa.select(Contract.title)
        .where(Contract.publication == Publication.published)
        .distinct()
        .limit(20000)
    ).scalars()
    vocabulary: dict[str, dict[str, str]] = {}
    for text in chain(names, titles):
        for word in WORD.findall(text):
            vocabulary.setdefault(word[:1].lower(), {}).setdefault(word.lower(), word)
    _vocabularies[key] = (time.monotonic(), vocabulary)
    return vocabulary


PREFIX = re.compile(r"(?<!\S)(\w+)\*(?!\S)")  # a word ending in *: clin*, EMIS*
# OR between two parts of a query, outside quotes (websearch_to_tsquery's own OR, uppercase).
OR = re.compile(r'\s+OR\s+(?=(?:[^"]*"[^"]*")*[^"]*$)')


def _tsquery(text: str) -> Any:
    """websearch_to_tsquery reads * as a space: words ending in * become prefix searches
    (`clin:*`), ANDed with the rest of their side of an OR (their letters are counted by
    breadth.check_wildcards): `TPP* OR Vision` is `tpp:* | vision`, never `tpp:* & vision`."""
    alternatives: Any = None
    for part in OR.split(text):
        words = PREFIX.findall(part)
        tsquery: Any = sa.func.websearch_to_tsquery(CONFIG, PREFIX.sub(" ", part))
        for word in words:
            tsquery = tsquery.op("&&")(sa.func.to_tsquery(CONFIG, f"{word}:*"))
        alternatives = tsquery if alternatives is None else alternatives.op("||")(tsquery)
    return alternatives


def _sellers(tsquery: Any, cpv_lots: list[int] | sa.Select[Any]) -> Any:
    """The public suppliers that sell what `tsquery` asks for: with a title (of a public
    contract, lot or framework of theirs: supplier_sells) that matches alone, on a lot of
    `cpv_lots` (whose CPV names match), or of a group with a product that matches: what
    registry.search.offers puts in a supplier's Whoosh document, read from rows the triggers
    keep current (a framework's description, which names its suppliers' rivals, is not among
    them)."""
    sells = SupplierSells.__table__
    public = sa.exists().where(
        SearchVector.kind == "supplier", SearchVector.record_id == Supplier.id
    )
    return sa.union(
        sa.select(sells.c.supplier_id).where(sells.c.vector.op("@@")(tsquery)),
        sa.select(Membership.supplier_id)
        .join(Supplier, Membership.supplier_id == Supplier.id)
        .where(
            Membership.status != MembershipStatus.removed,
            Membership.lot_id.in_(cpv_lots),
            public,
        ),
        sa.select(Supplier.id)
        .join(Product, Product.group_id == Supplier.group_id)
        .where(
            Product.retracted_at.is_(None),
            sa.func.to_tsvector(CONFIG, sa.func.concat_ws(" ", Product.name, Product.version)).op(
                "@@"
            )(tsquery),
            public,
        ),
    )


def _passes(values: FacetValues, filters: dict[str, list[str]]) -> bool:
    return all(set(values.get(name, ())) & set(chosen) for name, chosen in filters.items())


def _facet(
    name: str, matches: list[FacetValues], filters: dict[str, list[str]]
) -> list[FacetValue]:
    counts = Counter(v for values in matches for v in values.get(name, ()))
    chosen = set(filters.get(name, []))
    values = [FacetValue(v, n, v in chosen) for v, n in counts.items()]
    values += [FacetValue(v, 0, True) for v in chosen if v not in counts]
    return sorted(values, key=lambda f: (-f.count, f.value))
