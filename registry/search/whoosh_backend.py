"""The embedded search backend: a Whoosh index in one local directory (registry.index_dir)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import qparser, query
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.writing import SegmentWriter
from zope.interface import implementer

from registry.search.breadth import Limits, check_wildcards, too_broad, too_many_words, too_slow
from registry.search.highlight import plain_words, tidy_query
from registry.search.interfaces import (
    FACETS,
    Document,
    FacetValue,
    Hit,
    ISearchService,
    SearchResults,
    SearchTooBroad,
    SearchUnavailable,
)
from registry.search.whoosh_matches import OverBudget, TierQuery, evaluate, keep_unions
from registry.search.whoosh_postings import searching, step_aside, warm

log = logging.getLogger(__name__)
OPEN_ATTEMPTS = 5

SEARCH_FIELDS = ["title", "body", "identifiers", "names", "sells"]
DANGLING = re.compile(r"^(?:\s*\b(?:AND|OR|NOT)\b)+|(?:\b(?:AND|OR|NOT)\b\s*)+$")
WRITE_TIMEOUT = 30.0  # seconds to wait for another writer's lock before giving up
NO_FRAMEWORK = "-"
# A supplier that sells what was asked for comes before one whose name merely says it ("clinical
# systems": EMIS before "Example Clinical Systems Ltd"): matching the query on what it sells
# adds this much, more than any match on words alone scores.
SELLS_TIER = 1000.0
# A rebuild past this many documents builds segments of this size in parallel (_build): the
# national data's million contracts in about ten, each found as quickly as one.
SEGMENT_DOCS = 100_000
SEGMENT_PROCESSES = 2
LIMIT_MB = 256  # postings a segment's writer sorts in memory before spilling runs to disk


def make_schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),
        # Facets are counted from these fields' postings (whoosh_facets): no columns to write.
        kind=ID(stored=True),
        record_id=STORED,
        title=TEXT(stored=True, field_boost=3.0, analyzer=StemmingAnalyzer()),
        body=TEXT(stored=True, analyzer=StemmingAnalyzer()),
        identifiers=TEXT(stored=True, analyzer=StandardAnalyzer(stoplist=None), field_boost=2.0),
        # Supplier names and aliases alone: "did you mean" corrects against these words.
        names=TEXT(stored=True, analyzer=StandardAnalyzer(stoplist=None), spelling=True),
        # What a supplier sells (its lots, products, contract titles): searched, never shown.
        sells=TEXT(analyzer=StemmingAnalyzer()),
        frameworks=KEYWORD(stored=True, lowercase=False, scorable=False),
        category=ID(stored=True),
        score_band=ID(stored=True),
        open_flags=ID(stored=True),
        link=STORED,
    )


def _fields(doc: Document) -> dict[str, Any]:
    fields = {
        "key": doc.key,
        "kind": doc.kind,
        "record_id": doc.record_id,
        "title": doc.title,
        "body": doc.body,
        "identifiers": doc.identifiers,
        "names": doc.names,
        "sells": doc.sells,
        # Every document has a value, so "no framework" can be told from "not indexed".
        "frameworks": " ".join(doc.frameworks) or NO_FRAMEWORK,
        "link": doc.link,
    }
    for name in ("category", "score_band", "open_flags"):
        if getattr(doc, name):
            fields[name] = getattr(doc, name)
    return fields


def _document(stored: dict[str, Any]) -> Document:
    return Document(
        kind=stored["kind"],
        record_id=int(stored["record_id"]),
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        identifiers=stored.get("identifiers", ""),
        frameworks=[f for f in (stored.get("frameworks") or "").split() if f != NO_FRAMEWORK],
        category=stored.get("category", ""),
        score_band=stored.get("score_band", ""),
        open_flags=stored.get("open_flags", ""),
        link=stored.get("link", ""),
    )


# Open searchers, per thread (a Whoosh searcher is not shared between threads) and index
# directory: opening the index's segments cost most of a search. Keyed by the directory's inode,
# so a rebuild (which swaps in a new directory) is picked up; commits in place by refresh().
_open_searchers = threading.local()
MAX_OPEN_SEARCHERS = 4
# A new generation's unions of this many of the commonest words in suppliers' names (of at
# least MIN_COMMON_WORD letters) are worked out ahead, in the thread that reads postings ahead.
COMMON_WORDS = 60
MIN_COMMON_WORD = 3


@functools.cache
def _parser() -> qparser.QueryParser:
    """One parser per process: a backend is made per request, parsing is stateless."""
    parser = qparser.MultifieldParser(SEARCH_FIELDS, make_schema(), group=qparser.AndGroup)
    # Ranges and boosts are not for the public; words, phrases, AND/OR/NOT, brackets, trailing
    # wildcards and known field names ("title:EMIS"; unknown ones are searched as words) remain.
    for plugin in (qparser.RangePlugin, qparser.BoostPlugin):
        parser.remove_plugin_class(plugin)
    return parser


@functools.cache
def _sells_parser() -> qparser.QueryParser:
    """The same query, asked of what suppliers sell alone."""
    parser = qparser.QueryParser("sells", make_schema(), group=qparser.AndGroup)
    for plugin in (qparser.RangePlugin, qparser.BoostPlugin, qparser.FieldsPlugin):
        parser.remove_plugin_class(plugin)
    return parser


def sells_first(parsed: Any, text: str) -> Any:
    """`parsed`, with suppliers whose sales match all of it ranked in a tier of their own."""
    try:
        sells = _sells_parser().parse(text)
    except Exception:  # the full parse was forgiving already: keep its ranking
        return parsed
    if sells is None or sells is query.NullQuery:
        return parsed
    return query.AndMaybe(parsed, TierQuery(sells, SELLS_TIER))


@implementer(ISearchService)
class WhooshSearchService:
    name = "whoosh"

    indexes_on_commit = True

    def __init__(self, index_dir: str | os.PathLike[str], limits: Limits | None = None) -> None:
        self.path = Path(index_dir)
        self.parser = _parser()
        self.limits = limits or Limits()

    @classmethod
    def from_settings(cls, settings: dict[str, Any], db: Any) -> WhooshSearchService:
        return cls(settings["registry.index_dir"], Limits.from_settings(settings))

    @staticmethod
    def check_settings(settings: dict[str, Any]) -> str | None:
        if not settings.get("registry.index_dir"):
            return "registry.index_dir is not set (or set REGISTRY_INDEX_DIR)"
        return None

    # -- reading -----------------------------------------------------------------------------
    def _open(self) -> Any:
        # A writer in another thread may commit a new generation and remove the one being
        # opened (FileNotFoundError): the newest is there to read, so look again.
        for _ in range(OPEN_ATTEMPTS - 1):
            with contextlib.suppress(FileNotFoundError):
                return self._open_once()
        try:
            return self._open_once()
        except FileNotFoundError as exc:
            raise SearchUnavailable(
                f"the search index at {self.path} cannot be read: {exc}"
            ) from exc

    def _open_once(self) -> Any:
        try:
            if not whoosh_index.exists_in(str(self.path)):
                raise SearchUnavailable(f"there is no search index at {self.path}")
            return whoosh_index.open_dir(str(self.path))
        except (SearchUnavailable, FileNotFoundError):
            raise
        except Exception as exc:  # a damaged index may fail in many ways: all mean "rebuild"
            raise SearchUnavailable(
                f"the search index at {self.path} cannot be read: {exc}"
            ) from exc

    def check(self) -> str | None:
        try:
            ix = self._open()
            with ix.searcher() as searcher:
                searcher.doc_count()
            ix.close()
        except SearchUnavailable as exc:
            return str(exc)
        except Exception as exc:
            return f"the search index at {self.path} cannot be read: {exc}"
        return None

    def _parse(self, text: str) -> Any:
        # An operator with nothing on one side ("EMIS AND") would otherwise be searched as a word.
        text = DANGLING.sub("", text)
        try:
            parsed = self.parser.parse(text)
        except Exception:  # unbalanced quotes or stray operators: search the plain words instead
            parsed = None
        if parsed is None or parsed is query.NullQuery:
            words = plain_words(text)
            parsed = self.parser.parse(" ".join(words)) if words else query.NullQuery
        return parsed

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
        check_wildcards(text)
        parsed = self._parse(text)
        empty = SearchResults(text, [], 0, 1, page_size, {f: [] for f in FACETS}, notice=notice)
        if parsed is query.NullQuery:
            return empty
        # Reading ahead (whoosh_postings.warm) waits while any search is under way.
        with searching():
            searcher = self._searcher()
            try:
                self.expansions(searcher, parsed)
                ranked = sells_first(parsed, DANGLING.sub("", text))
                return self._run(searcher, text, ranked, filters, page, page_size, notice)
            except SearchTooBroad:
                raise
            except OverBudget:
                raise too_slow(self.limits.time_budget) from None
            except Exception as exc:
                self._forget()
                log.exception("search failed on the Whoosh index")
                raise SearchUnavailable(f"the search index cannot be read: {exc}") from exc

    def expansions(self, searcher: Any, parsed: Any) -> int:
        """How many words the query's wildcards stand for (Whoosh's own expansion of each
        Prefix and Wildcard, field by field); refused past the limit, before any is read."""
        limit = self.limits.max_expansions
        reader = searcher.reader()
        # Words, not (field, word) pairs: "clin*" stands for the same words in every field.
        words: set[tuple[int, bytes]] = set()
        for number, leaf in enumerate(parsed.leaves()):
            if isinstance(leaf, query.Every):
                raise too_broad("it asks for every record. Search for some words.")
            if not isinstance(leaf, query.MultiTerm):
                continue
            pattern = id(type(leaf)), getattr(leaf, "text", number)
            for _, text in leaf.expanded_terms(reader):
                words.add((hash(pattern), text))
                if len(words) > limit:
                    raise too_many_words(len(words), limit)
        return len(words)

    def _searcher(self) -> Any:
        """This thread's open searcher of the index, reopened when the index was rebuilt and
        reopened when documents were committed since it opened."""
        cache: dict[str, tuple[int, Any]] = _open_searchers.__dict__.setdefault("by_path", {})
        key = str(self.path)
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            inode = -1
        cached = cache.get(key)
        if cached is not None and cached[0] == inode and _up_to_date(cached[1]):
            return cached[1]
        # Not Whoosh's refresh(): it reuses a segment's reader by the segment's id, so deletions
        # committed to an old segment since (the old copies of updated records) go unseen and
        # those copies are found again. A new generation gets a searcher of its own.
        self._forget()
        searcher = self._open().searcher()
        # The longest postings of segments new to this process, read ahead in a thread.
        warm(key, searcher, SEARCH_FIELDS, self._common_words)
        while len(cache) >= MAX_OPEN_SEARCHERS:  # many index dirs (tests): close the oldest
            _close(cache.pop(next(iter(cache)))[1])
        cache[key] = (inode, searcher)
        return searcher

    def _common_words(self, searcher: Any) -> None:
        """Work out ahead the unions of the commonest words of suppliers' names (a word asked
        of every field), in `searcher`'s generation: the first search of a common word in a
        generation spent most of its time on them."""
        key = (str(self.path), os.stat(self.path).st_ino)
        reader = searcher.reader()
        common = reader.most_frequent_terms("names", COMMON_WORDS * 2)
        texts = [word.decode() if isinstance(word, bytes) else word for _, word in common]
        words = [word for word in texts if word.isalpha() and len(word) >= MIN_COMMON_WORD]
        for word in words[:COMMON_WORDS]:
            step_aside()
            keep_unions(searcher, key, self._parse(word))

    def _index_key(self) -> tuple[str, int]:
        """Which index this thread's searcher reads: the directory and its inode (a rebuild
        swaps in a new directory), for keys of what is kept between searches."""
        cache = _open_searchers.__dict__.get("by_path", {})
        return (str(self.path), cache.get(str(self.path), (-1,))[0])

    def _forget(self) -> None:
        cache = _open_searchers.__dict__.get("by_path", {})
        cached = cache.pop(str(self.path), None)
        if cached is not None:
            _close(cached[1])

    def _run(
        self,
        searcher: Any,
        text: str,
        parsed: Any,
        filters: dict[str, list[str]],
        page: int,
        page_size: int,
        notice: str | None,
    ) -> SearchResults:
        page = max(1, page)
        deadline = time.monotonic() + self.limits.time_budget
        total, best, counts = evaluate(
            searcher, self._index_key(), parsed, filters, page * page_size, deadline
        )
        pages = max(1, -(-total // page_size))
        page = min(page, pages)  # past the end: show the last page
        hits = [
            Hit(document=_document(searcher.stored_fields(docnum)), score=-negated)
            for negated, docnum in best[(page - 1) * page_size :]
        ]
        facet_values = {}
        for name in FACETS:
            chosen = set(filters.get(name, []))
            values = [
                FacetValue(str(value), int(count), str(value) in chosen)
                for value, count in counts[name].items()
                if value not in (None, "", NO_FRAMEWORK)
            ]
            # A chosen value stays on the list (to be unticked) even when nothing matches it.
            values += [FacetValue(v, 0, True) for v in chosen if v not in {f.value for f in values}]
            facet_values[name] = sorted(values, key=lambda f: (-f.count, f.value))
        suggestion = self._suggest(searcher, text) if total == 0 else None
        return SearchResults(text, hits, total, page, page_size, facet_values, suggestion, notice)

    def _suggest(self, searcher: Any, text: str) -> str | None:
        words = [w.lower() for w in plain_words(text)]
        if not words:
            return None
        corrector = searcher.corrector("names")
        corrected = []
        for word in words:
            options = corrector.suggest(word, limit=1, maxdist=2, prefix=1) if len(word) > 3 else []
            corrected.append(options[0] if options else word)
        if corrected == words:
            return None
        return _display_name(searcher, self.parser, corrected) or " ".join(corrected)

    # -- writing -----------------------------------------------------------------------------
    def outdated(self) -> bool:
        try:
            ix = self._open()
        except SearchUnavailable:
            return False
        try:
            return set(ix.schema.names()) != set(make_schema().names())
        finally:
            ix.close()

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if self.check() is not None:
            whoosh_index.create_in(str(self.path), make_schema())

    def index(self, documents: Iterable[Document], removed: Iterable[str] = ()) -> None:
        ix = self._open()
        try:
            writer = ix.writer(timeout=WRITE_TIMEOUT)
            try:
                # The last document given for a key replaces the one indexed. Whoosh's own
                # update_document and delete_by_term open a searcher over every segment for each
                # document; one searcher finds them all, then the new ones are added (as Whoosh's
                # documentation advises for a batch).
                replacing = {fields["key"]: fields for fields in map(_fields, documents)}
                with writer.searcher() as searcher:
                    for key in {*removed, *replacing}:
                        for number in searcher.document_numbers(key=key):
                            writer.delete_document(number)
                for fields in replacing.values():
                    writer.add_document(**fields)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        finally:
            ix.close()

    def rebuild(self, documents: Iterable[Document], segment_size: int = SEGMENT_DOCS) -> int:
        """Build beside the live index, then swap it in: searches keep working meanwhile, and a
        failed rebuild leaves the old index as it was."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.path.with_name(f"{self.path.name}.rebuild-{os.getpid()}")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        try:
            ix = whoosh_index.create_in(str(fresh), make_schema())
            try:
                count = _build(ix, documents, segment_size)
            finally:
                ix.close()
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        old = self.path.with_name(f"{self.path.name}.old-{os.getpid()}")
        if self.path.exists():
            self.path.rename(old)
        fresh.rename(self.path)
        shutil.rmtree(old, ignore_errors=True)
        return count


def _build(ix: Any, documents: Iterable[Document], segment_size: int) -> int:
    """Index the documents into `ix`, a fresh index. Whoosh indexes in pure Python, one core:
    past one segment's worth, segments of `segment_size` documents are built side by side in
    worker processes (`_segments`, while this one reads the database) and listed in the order read. Each
    segment keeps its documents contiguous, so document numbers, and with them the order of
    equal scores, are those of a single-segment build; none is merged (the merge was the costly
    part of the commit)."""
    batches = _batches(documents, segment_size)
    first = next(batches, [])
    second = next(batches, None)
    if second is None:  # small: one segment, here
        writer = ix.writer(limitmb=LIMIT_MB)
        try:
            for fields in first:
                writer.add_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(first)
    batches = itertools.chain([first, second], batches)
    del first, second  # held only until sent: a batch is a segment's worth of documents
    writer = ix.writer(timeout=WRITE_TIMEOUT)  # holds the lock; lists the segments at the end
    try:
        segments, count = _segments(str(ix.storage.folder), batches)
    except BaseException:
        writer.cancel()
        raise
    writer._close_segment()  # as Whoosh's own MpWriter lists sub-segments
    writer._commit_toc(segments)
    writer._finish()
    return count


def _segments(folder: str, batches: Iterable[list[dict[str, Any]]]) -> tuple[list[Any], int]:
    """The batches' segments, in the order read, and how many documents they hold: built side by
    side in worker processes, or here when this process runs other threads. A forked child has
    only the forking thread, and every lock the others held (a web server's, logging's) stays
    held in it; a command line's rebuild has no other thread."""
    if threading.active_count() > 1:
        built = [(_segment(folder, batch), len(batch)) for batch in batches]
        return [segment for segment, _ in built], sum(size for _, size in built)
    count = 0
    workers = min(SEGMENT_PROCESSES, os.cpu_count() or 1)
    # Fork: a spawned worker would run the calling script again (no main guard in a bench).
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: list[Future[Any]] = []
        for batch in batches:
            # No batch waits for a worker (the next is read meanwhile): memory stays flat.
            while len(busy := [f for f in pending if not f.done()]) >= workers:
                wait(busy, return_when=FIRST_COMPLETED)
            pending.append(pool.submit(_segment, folder, batch))
            count += len(batch)
        return [future.result() for future in pending], count


def _batches(documents: Iterable[Document], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for doc in documents:
        batch.append(_fields(doc))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _segment(folder: str, batch: list[dict[str, Any]]) -> Any:
    """One finished segment of the index in `folder` holding these documents (in a worker
    process; not yet listed in the index, which the parent does when all are built)."""
    ix = whoosh_index.open_dir(folder)
    writer = SegmentWriter(ix, _lk=False, limitmb=LIMIT_MB)
    for fields in batch:
        writer.add_document(**fields)
    # Not writer._finish() nor, on failure, cancel(): they remove the temporary directory the
    # parent's writer shares. A failed rebuild removes the whole new index.
    segment = writer._finalize_segment()
    ix.close()
    return segment


def _up_to_date(searcher: Any) -> bool:
    try:
        return bool(searcher.up_to_date())
    except Exception:  # the index changed under it in a way it cannot follow: reopen
        return False


def _close(searcher: Any) -> None:
    try:
        searcher.close()
    except Exception:  # already closed, or its files were removed by a rebuild
        log.debug("closing a stale Whoosh searcher failed", exc_info=True)


def _display_name(searcher: Any, parser: Any, words: list[str]) -> str | None:
    """The corrected words as a supplier's name or alias writes them ("SystmOne", not "systmone")."""
    found = searcher.search(parser.parse(" ".join(words)), limit=10)
    written: dict[str, str] = {}
    for hit in found:
        for word in (hit.get("names") or "").split():
            written.setdefault(word.lower().strip(".,()"), word.strip(".,()"))
    if all(w in written for w in words):
        return " ".join(written[w] for w in words)
    return None
