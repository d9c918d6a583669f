"""Each Whoosh segment's facet values, read once per segment reader from the facet fields'
postings, so that a query's matches are counted and filtered by facet in one pass over small
integers (registry.search.whoosh_matches evaluates the queries)."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from whoosh.matching import FilterMatcher

from registry.search.interfaces import FACETS

KEPT_TABLES = 64  # segments' tables kept (an index of a million records has about ten)
_tables: OrderedDict[tuple[str, str], FacetTable] = OrderedDict()
_lock = threading.Lock()


class _FacetPart:
    """Some facets' values in one segment, each document's as the number of its combination of
    values: counting or filtering matches is one pass over small integers, then a loop over
    the few combinations. Frameworks (many values) are a part of their own, so the number of
    combinations stays near the number of values."""

    def __init__(
        self,
        names: tuple[str, ...],
        keys: Iterable[tuple[Any, ...]],
        values: Callable[[Any], tuple[tuple[str, ...], ...]],
    ) -> None:
        self.positions = [FACETS.index(name) for name in names]
        numbers: dict[tuple[Any, ...], int] = {}
        self.number_of = [numbers.setdefault(key, len(numbers)) for key in keys]
        self.combos = [values(key) for key in numbers]  # number -> each facet's values
        self._allowed: dict[Any, frozenset[int]] = {}

    def count(self, docnums: Iterable[int], counts: list[Counter[str]]) -> None:
        for number, count in Counter(map(self.number_of.__getitem__, docnums)).items():
            for position, values in zip(self.positions, self.combos[number], strict=True):
                for value in values:
                    counts[position][value] += count

    def allowed(self, filters: dict[str, list[str]]) -> frozenset[int] | None:
        """The combinations holding a chosen value of each of this part's filtered facets
        (None: none of them is filtered)."""
        wanted = [
            (i, frozenset(filters[FACETS[position]]))
            for i, position in enumerate(self.positions)
            if FACETS[position] in filters
        ]
        if not wanted:
            return None
        key = tuple(wanted)
        found = self._allowed.get(key)
        if found is None:
            found = self._allowed[key] = frozenset(
                number
                for number, combo in enumerate(self.combos)
                if all(chosen.intersection(combo[i]) for i, chosen in wanted)
            )
        return found


class FacetTable:
    """Each document's facet values in one segment."""

    def __init__(self, reader: Any) -> None:
        # Read from the terms' postings: the columns cost ten times as long (a Python call and
        # a decode per document), and each facet has few values.
        size = reader.doc_count_all()
        singles = tuple(name for name in FACETS if name != "frameworks")
        columns: list[list[str]] = []
        for name in singles:
            column = [""] * size
            for value, docnums in _postings(reader, name):
                for docnum in docnums:
                    column[docnum] = value
            columns.append(column)
        frameworks: list[list[str]] = [[] for _ in range(size)]
        for value, docnums in _postings(reader, "frameworks"):
            for docnum in docnums:
                frameworks[docnum].append(value)
        self.parts = [
            _FacetPart(
                singles, zip(*columns, strict=True), lambda k: tuple((v,) if v else () for v in k)
            ),
            _FacetPart(("frameworks",), map(tuple, frameworks), lambda k: (k,)),
        ]

    def count(self, docnums: Sequence[int], counts: list[Counter[str]]) -> None:
        for part in self.parts:
            part.count(docnums, counts)

    def kept(self, docnums: Sequence[int], filters: dict[str, list[str]]) -> list[int]:
        """The positions in `docnums` of the documents that pass every filter."""
        kept: Iterable[int] = range(len(docnums))
        for part in self.parts:
            allowed = part.allowed(filters)
            if allowed is not None:
                number_of = part.number_of
                kept = [i for i in kept if number_of[docnums[i]] in allowed]
        return list(kept)


def _postings(reader: Any, name: str) -> Iterable[tuple[str, Iterable[int]]]:
    for term in reader.lexicon(name):
        value = term.decode() if isinstance(term, bytes) else term
        postings = reader.postings(name, term)
        # Deleted documents too (a query never matches them): the same table in every
        # generation, whatever was deleted since.
        if isinstance(postings, FilterMatcher):
            postings = postings.child
        yield value, postings.all_ids()


def facet_table(reader: Any, path: str = "") -> FacetTable:
    """Read once per segment in a process: a segment's facet values never change (a deleted
    document is left out of every query's matches before they are counted), so the table is
    kept by the segment's id across the index's generations and the threads' readers (reading
    it cost a fifth of a second at 100,000 documents, in every thread after every commit)."""
    table: FacetTable | None = getattr(reader, "_registry_facets", None)
    if table is not None:
        return table
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        table = FacetTable(reader)
    else:
        key = (path, segment.segment_id())
        with _lock:
            table = _tables.get(key)
            if table is not None:
                _tables.move_to_end(key)
        if table is None:
            table = FacetTable(reader)
            with _lock:
                _tables[key] = table
                while len(_tables) > KEPT_TABLES:
                    _tables.popitem(last=False)
    reader._registry_facets = table
    return table
