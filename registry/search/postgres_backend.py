"""Search for more than one app server: PostgreSQL full-text search straight over the tables.

The words are kept in the database itself (search_vectors, GIN-indexed, filled by triggers in the
same transaction as the rows: migration 0016), so there is no local directory to share, nothing to
rebuild, and a query can never see another transaction's uncommitted rows."""

from __future__ import annotations

import difflib
import functools
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
from registry.search.documents import documents_for
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
from registry.search.postgres_results import (
    Found,
    read,
    results_parameters,
    results_statement,
)
from registry.suppliers.models import Supplier

CONFIG = "english"
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout stops a statement
MATCH_CAP = 1000  # the best matches that are grouped, faceted and paged
SELLS_TIER = 1000.0  # as the Whoosh backend: a seller of what was asked for comes first
# Ranked as before the titles were weighted: every weight as the default, unweighted, one.
ALIKE = "'{0.1,0.1,0.1,0.1}'::float4[]"
EVERY_WEIGHT_ALIKE: sa.ColumnClause[Any] = sa.literal_column(ALIKE)
SAVEPOINT = "search_budget"
PLANNER_SETTINGS = {
    # The planner prices a tsvector match as cheap as a comparison, so it scans the whole table
    # rather than the GIN index (70 ms against 9 at 100,000 records).
    "enable_seqscan": "off",
    # The statement's estimate (every lot's CPV codes, guessed) is past jit_above_cost, as is
    # any plan that needs a sequential scan with them off (10^10): compiling the search's
    # statement took 550 ms, running it 30.
    "jit": "off",
    # The statement's text is the same for every query of a shape, so the driver prepares it,
    # and after five runs PostgreSQL would plan it once without the words: guessing how many
    # match cost more than planning each search did.
    "plan_cache_mode": "force_custom_plan",
}


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

    def _within_budget(self, select: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        """The rows of `select`, run under a statement_timeout of the time budget, in a
        savepoint: a query stopped by it leaves the request's transaction usable. The savepoint
        and the settings are one round trip (SET LOCAL, several statements in one: no
        parameters), and the savepoint is rolled back, never released: the statement only
        reads, and the rollback puts the settings back as they were (under load each round
        trip cost several milliseconds)."""
        # Pending changes flushed first, as begin_nested did: searched, and never written inside
        # the savepoint, whose rollback would take them away behind the session's back.
        self.db.flush()
        connection = self.db.connection()
        settings = {
            "statement_timeout": f"{self.limits.time_budget * 1000:.0f}",
            **PLANNER_SETTINGS,
        }
        connection.exec_driver_sql(
            "; ".join(
                [f"SAVEPOINT {SAVEPOINT}", *(f"SET LOCAL {n} = {v}" for n, v in settings.items())]
            )
        )
        try:
            return list(connection.execute(select, parameters or {}))
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
                raise too_slow(self.limits.time_budget) from None
            raise
        finally:
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")

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
        page_size = max(1, page_size)
        if words:
            shape, parameters = _query_parts(text)
            parameters |= results_parameters(filters, page, page_size)
            statement = _statement(shape, tuple(sorted(filters)))
            answer = self._within_budget(statement, parameters)
            found = read(answer[0][0], page, page_size)
        else:
            found = Found(False, 0, {}, 1, [], {})
        facets = {
            name: _facet(found.counts.get(name, Counter()), filters.get(name, []))
            for name in FACETS
        }
        on_page: dict[str, set[int]] = {}
        for key in found.shown:
            kind, number = key.split(":")
            on_page.setdefault(kind, set()).add(int(number))
        docs = documents_for(self.db, on_page, shown=True, facets=found.values)[0]
        by_key = {d.key: d for d in docs}
        hits = [Hit(by_key[key]) for key in found.shown if key in by_key]
        suggestion = self._suggest(words) if words and not found.matched else None
        return SearchResults(
            text, hits, found.total, found.page, page_size, facets, suggestion, notice
        )

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


def _query_parts(text: str) -> tuple[tuple[int, ...], dict[str, str]]:
    """The query's shape (each side of an OR: how many of its words end in *) and the texts
    its statement is run with: the same statement, built once, answers every query of a shape
    (building it took longer than parsing its answer)."""
    shape = []
    texts = {}
    for i, part in enumerate(OR.split(text)):
        words = PREFIX.findall(part)
        shape.append(len(words))
        texts[f"part_{i}"] = PREFIX.sub(" ", part)
        texts |= {f"prefix_{i}_{j}": f"{word}:*" for j, word in enumerate(words)}
    return tuple(shape), texts


def _tsquery(shape: tuple[int, ...]) -> Any:
    """websearch_to_tsquery reads * as a space: words ending in * become prefix searches
    (`clin:*`), ANDed with the rest of their side of an OR (their letters are counted by
    breadth.check_wildcards): `TPP* OR Vision` is `tpp:* | vision`, never `tpp:* & vision`."""
    alternatives: Any = None
    for i, prefixes in enumerate(shape):
        side = sa.bindparam(f"part_{i}", type_=sa.Text)
        tsquery: Any = sa.func.websearch_to_tsquery(CONFIG, side)
        for j in range(prefixes):
            word = sa.bindparam(f"prefix_{i}_{j}", type_=sa.Text)
            tsquery = tsquery.op("&&")(sa.func.to_tsquery(CONFIG, word))
        alternatives = tsquery if alternatives is None else alternatives.op("||")(tsquery)
    return alternatives


@functools.lru_cache(maxsize=256)
def _statement(shape: tuple[int, ...], filtered: tuple[str, ...]) -> sa.Select[Any]:
    return results_statement(_matches(_tsquery(shape)), filtered)


def _matches(tsquery: Any) -> sa.Select[Any]:
    """(kind, record_id, position): the best matches, position 1 first. Only public records
    have a vector: one GIN-indexed table answers. Suppliers that sell what was asked for
    (registry.search.offers) come first, in a tier of their own: found among the
    GIN-indexed titles they sell under (supplier_sells, migration 0030)."""
    vectors = SearchVector.__table__
    hits = sa.select(
        vectors.c.kind,
        vectors.c.record_id,
        sa.func.ts_rank(EVERY_WEIGHT_ALIKE, vectors.c.vector, tsquery).label("rank"),
    ).where(vectors.c.vector.op("@@")(tsquery))
    # Materialized, so planned apart: inlined, its estimate (every lot's codes, guessed) dwarfed
    # the matches' own, and the planner, taking costs within 1% of each other as equal,
    # grouped the matches by sorting them rather than hashing (four times slower).
    cpv_lots = _cpv_lots(tsquery).cte("cpv_lots").prefix_with("MATERIALIZED")
    sellers = _sellers(tsquery, sa.select(cpv_lots.c.id)).subquery()
    sold = sa.select(
        sa.literal("supplier").label("kind"),
        sellers.c.supplier_id,
        sa.literal(SELLS_TIER).label("rank"),
    )
    both = sa.union_all(hits, sold).subquery()
    rank = sa.func.sum(both.c.rank).label("rank")
    best = (
        sa.select(both.c.kind, both.c.record_id, rank)
        .group_by(both.c.kind, both.c.record_id)
        .order_by(rank.desc(), both.c.kind, both.c.record_id)
        .limit(MATCH_CAP)
        .subquery()
    )
    # Numbered after the limit: the sort then keeps only the best (a top-N heapsort), where
    # numbering them before it sorted every match.
    order = (best.c.rank.desc(), best.c.kind, best.c.record_id)
    position = sa.func.row_number().over(order_by=order).label("position")
    return sa.select(best.c.kind, best.c.record_id, position)


def _cpv_lots(tsquery: Any) -> sa.Select[Any]:
    """The public lots with a CPV code whose name matches: the name of the longest code of the
    registry's list (registry.markets.cpv, not a table: sent as two arrays) that the lot's code
    starts with, as cpv_name reads it. The lots are only read when some name matches."""
    known = (
        sa.func.unnest(
            sa.literal(list(CPV_NAMES), ARRAY(sa.Text)),
            sa.literal(list(CPV_NAMES.values()), ARRAY(sa.Text)),
        )
        .table_valued("code", "name")
        .render_derived(name="known")
    )
    named = sa.func.to_tsvector(CONFIG, known.c.name).op("@@")(tsquery)
    codes = sa.case(
        (sa.func.json_typeof(Lot.cpv_codes) == "array", Lot.cpv_codes),
        else_=sa.text("'[]'::json"),
    )
    code = sa.func.json_array_elements_text(codes).table_valued("value").render_derived("code")
    prefix = sa.func.split_part(code.c.value, "-", 1)
    length = sa.func.length(known.c.code)
    name = (
        sa.select(known.c.name)
        .where(length >= 2, sa.func.left(prefix, length) == known.c.code)
        .order_by(length.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(Lot.id)
        .join(Framework, Lot.framework_id == Framework.id)
        .join(code, sa.true())
        .where(
            sa.exists(sa.select(known.c.name).where(named)),
            Lot.retracted_at.is_(None),
            Framework.retracted_at.is_(None),
            sa.func.to_tsvector(CONFIG, name).op("@@")(tsquery),
        )
    )


def _sellers(tsquery: Any, cpv_lots: sa.Select[Any]) -> Any:
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
            # An array, not IN: the planner then expects a few lots, not all of them, and looks
            # their memberships up by index (a hash of every supplier took 100 ms).
            Membership.lot_id == sa.any_(sa.func.array(cpv_lots.scalar_subquery())),
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


def _facet(counts: Counter[str], chosen: list[str]) -> list[FacetValue]:
    """A facet's values, most matches first; those chosen among them even without any."""
    values = [FacetValue(v, n, v in chosen) for v, n in counts.items()]
    values += [FacetValue(v, 0, True) for v in set(chosen) if v not in counts]
    return sorted(values, key=lambda f: (-f.count, f.value))
