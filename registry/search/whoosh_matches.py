"""Whoosh queries evaluated as sets, for the embedded search backend.

Whoosh steps its matchers one posting at a time in Python, and the page needs every match (the
exact total and the facet counts): a common word cost a third of a second at 100,000 records.
So each matcher tree Whoosh builds is evaluated here as whole sets instead: a term's postings
and their scores are read once per index generation and kept (their scores depend on the whole
index's statistics, so on its generation), and unions, intersections and exclusions are dict
operations. The tree is Whoosh's own, so scores add up in the same order and are the same
floats: results and ties come out as the TopCollector would order them.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
import threading
import time
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import Any

from whoosh import matching, query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.util.numeric import byte_to_length

from registry.search.interfaces import FACETS
from registry.search.whoosh_facets import facet_table
from registry.search.whoosh_postings import OverBudget, postings, segment_key

__all__ = ["OverBudget", "TierQuery", "evaluate", "keep_unions"]

Scores = dict[int, float]  # a segment's document number -> score
Matches = tuple["array[int]", "array[float]"]  # a segment's matches and their scores, compactly
# A term's or union's matches, or a query's with how many of its best come first in order.
Kept = tuple["array[int]", "array[float]", int]
CACHED_POSTINGS = 6_000_000  # ~72 MB of matches and lists by document, across requests
IN_ORDER = 100  # a query's best matches put in order when first asked: a page's worth and more
_cache: OrderedDict[tuple[Any, ...], Kept] = OrderedDict()
_cache_size = 0
_cache_lock = threading.Lock()
# Long kept unions' scores by document number (_dense), under the same keys as in _cache.
# (and which documents match, a byte each: an intersection of two long ones is then an AND of
# two integers, its matches picked out in C by compress)
_by_document: dict[tuple[Any, ...], tuple[array[float], int]] = {}
DENSE_ABOVE = 8  # matches of more than one document in 8 are kept by document number too
_budget = threading.local()  # when this thread's search must give up (time.monotonic())
CHECK_EVERY = 1024  # postings read between looks at the clock


def evaluate(
    searcher: Any,
    index_key: tuple[Any, ...],
    parsed: Any,
    filters: dict[str, list[str]],
    limit: int,
    deadline: float | None = None,
) -> tuple[int, list[tuple[float, int]], dict[str, Counter[str]]]:
    """How many documents match, the best `limit` as (-score, document number) in the order
    Whoosh's TopCollector gives (by score, then document number), and the facet counts.
    Raises OverBudget when reading postings goes on past `deadline` (results already kept
    costs no reading)."""
    _budget.deadline = deadline
    try:
        return _evaluate(searcher, index_key, parsed, filters, limit)
    finally:
        _budget.deadline = None


def _evaluate(
    searcher: Any,
    index_key: tuple[Any, ...],
    parsed: Any,
    filters: dict[str, list[str]],
    limit: int,
) -> tuple[int, list[tuple[float, int]], dict[str, Counter[str]]]:
    context = searcher.context()
    total = 0
    ranked: list[tuple[float, int]] = []
    tallies: list[Counter[str]] = [Counter() for _ in FACETS]
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        table = facet_table(reader, index_key[0])
        # Scores depend on the whole index's statistics: keyed by its generation too.
        segment = reader.segment().segment_id() if reader.segment() else offset
        key = (*index_key, searcher.ixreader.generation(), segment)
        # A repeated search (the same words and operators) is the common case: kept whole,
        # the best first.
        ids, scores = _ranked(
            (*key, parsed),
            functools.partial(_query_scores, parsed, subsearcher, context, key),
            limit,
        )
        if filters:
            # Those kept are in order only as far as the best were put in order: all are ranked.
            kept = table.kept(ids, filters)
            ids, scores = array("i", [ids[i] for i in kept]), array("d", [scores[i] for i in kept])
            best = heapq.nsmallest(
                limit, zip(map(operator.neg, scores), map(offset.__add__, ids), strict=True)
            )
        else:
            best = list(
                zip(
                    map(operator.neg, scores[:limit]), map(offset.__add__, ids[:limit]), strict=True
                )
            )
        total += len(ids)
        ranked += best
        table.count(ids, tallies)
    return total, heapq.nsmallest(limit, ranked), dict(zip(FACETS, tallies, strict=True))


def keep_unions(searcher: Any, index_key: tuple[Any, ...], parsed: Any) -> None:
    """Work out and keep the unions of terms in `parsed` (a word asked of every field) in each
    segment, as a search would, with the lists by document number an intersection looks them
    up in: done ahead (whoosh_postings.warm) for the commonest words of a new generation."""
    context = searcher.context()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        segment = reader.segment().segment_id() if reader.segment() else offset
        key = (*index_key, searcher.ixreader.generation(), segment, reader)
        pending = [parsed.matcher(subsearcher, context)]
        while pending:
            m = pending.pop()
            if type(m) is matching.UnionMatcher and _signature(m) is not None:
                _either(m, key)
            else:
                pending.extend(m.children())


def _cached(key: tuple[Any, ...], compute: Callable[[], Scores]) -> Scores | Matches:
    """What was kept under `key`, or `compute`'s scores (kept as arrays, returned as they were
    computed: making them a dict again cost as much as computing them)."""
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None:
            _cache.move_to_end(key)
            return kept[0], kept[1]
    scores = compute()
    _keep(key, (array("i", scores.keys()), array("d", scores.values()), 0))
    return scores


def _as_scores(found: Scores | Matches) -> Scores:
    return found if isinstance(found, dict) else dict(zip(*found, strict=True))


def _ranked(key: tuple[Any, ...], compute: Callable[[], Scores], limit: int) -> Matches:
    """A query's matches and scores, the best `limit` of them first and in the order of
    Whoosh's TopCollector (by score, then document number); the rest in no order. Sorting
    every match cost more than the rest of a new query."""
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is not None and found[2] >= min(limit, len(found[0])):
        return found[0], found[1]
    scores = _as_scores(found[:2] if found is not None else compute())
    head = max(limit, IN_ORDER)
    values = scores.values()
    # Every match scoring at least the head'th best score, put in order: the best `head` and
    # any tied with the last of them. Chosen and sorted in C (compress, sorted), not in a loop.
    cut = sorted(values)[-head] if head < len(scores) else -math.inf
    best = sorted(
        compress(
            zip(map(operator.neg, values), scores.keys(), strict=True), map(cut.__le__, values)
        )
    )
    ids = array("i", [d for _, d in best])
    ranked = array("d", [-s for s, _ in best])
    if len(best) < len(scores):
        rest = scores.copy()
        for d in ids:
            del rest[d]
        ids.extend(rest.keys())
        ranked.extend(rest.values())
    _keep(key, (ids, ranked, len(best)))
    return ids, ranked


def _keep(key: tuple[Any, ...], found: Kept) -> None:
    global _cache_size
    with _cache_lock:
        if key not in _cache:  # another thread may have computed it meanwhile
            _cache_size += len(found[0])
        _cache[key] = found
        _make_room()


def _keep_by_document(key: tuple[Any, ...], by_document: tuple[array[float], int]) -> None:
    global _cache_size
    with _cache_lock:
        if key in _cache and key not in _by_document:  # not dropped or made meanwhile
            _by_document[key] = by_document
            _cache_size += _cost(by_document)
            _make_room()


def _cost(by_document: tuple[array[float], int]) -> int:
    """A list by document number in kept matches: a document's 8 + 1 bytes against a match's
    12."""
    return len(by_document[0]) * 3 // 4


def _make_room() -> None:
    """Drop the least recently used until what is kept fits (with _cache_lock held)."""
    global _cache_size
    while _cache_size > CACHED_POSTINGS and len(_cache) > 1:
        key, dropped = _cache.popitem(last=False)
        _cache_size -= len(dropped[0])
        by_document = _by_document.pop(key, None)
        if by_document is not None:
            _cache_size -= _cost(by_document)


class _Unsupported(Exception):
    """The tree holds a matcher that cannot be evaluated as sets."""


def _query_scores(parsed: Any, subsearcher: Any, context: Any, key: tuple[Any, ...]) -> Scores:
    try:
        return _scores(parsed.matcher(subsearcher, context), (*key, subsearcher.reader()))
    except _Unsupported:  # phrases, wildcards...: stepped through and scored by Whoosh
        return _walk(parsed.matcher(subsearcher, context))


def _scores(m: Any, key: tuple[Any, ...]) -> Scores:
    """The matches of the matcher tree `m` and their scores, as Whoosh would score them.
    Building the tree moved some matchers on (an intersection skips to its first match): each
    term's postings are read from their start, and the rest is computed from them. `key` ends
    with the segment's reader."""
    kind = type(m)
    if kind is matching.NullMatcherClass:
        return {}
    if kind is matching.UnionMatcher:
        found = _kept_union(m, key)
        return _union(m, key) if found is None else _as_scores(found)
    if kind is matching.IntersectionMatcher:
        # "cloud NOT hosting": the NOT side's matcher steps through every document the word is
        # not in; the matches of the other side that lack it are all that are needed.
        for side, other in ((m.a, m.b), (m.b, m.a)):
            if type(side) is matching.InverseMatcher:
                kept = _scores(other, key)
                left_out = _scores(side.child, key)
                weight = side.score()
                return {
                    d: s + weight
                    for d, s in kept.items()
                    if d not in left_out and not side.missing(d)
                }
        return _intersection(_either(m.a, key), _either(m.b, key))
    if kind is matching.AndMaybeMatcher:  # "and, if it also matches, add its score"
        a, b = _scores(m.a, key), _scores(m.b, key)
        both = list(a.keys() & b.keys())
        maybe = a.copy()  # s + 0.0 is s: those without b keep their score as it is
        maybe.update(_summed(both, a, b))
        return maybe
    if kind is _TierMatcher:
        try:
            return dict.fromkeys(_scores(m.child, key), m.tier)
        except _Unsupported:  # a phrase: Whoosh lists its matches
            return dict.fromkeys(m.remake().all_ids(), m.tier)
    if kind is matching.ListMatcher and m._all_weights is not None:  # a constant-score query
        return dict.fromkeys(m._ids[m._i :], float(m._all_weights))
    if kind is matching.AndNotMatcher:
        a, b = _scores(m.a, key), _scores(m.b, key)
        return {d: a[d] for d in a.keys() - b.keys()}
    if kind is matching.WrappingMatcher:  # a boost
        child = _scores(m.child, key)
        return {d: s * m.boost for d, s in child.items()} if m.boost != 1.0 else child
    if kind is matching.FilterMatcher:
        # A segment's deleted documents (the old copies of updated records) left out of a term's
        # postings: the postings are kept whole per generation, the filter applied to them.
        child = _scores(m.child, key)
        kept = {d: s for d, s in child.items() if (d in m._ids) != m._exclude}
        return {d: s * m.boost for d, s in kept.items()} if m.boost != 1.0 else kept
    if not isinstance(m, matching.LeafMatcher) or m.term() is None:
        raise _Unsupported(kind.__name__)
    *segment, reader = key
    read = functools.partial(_term_scores, m, reader, segment_key(segment[0], reader))
    return _as_scores(_cached((*segment, m.term()), read))


def _kept_union(m: Any, key: tuple[Any, ...]) -> Scores | Matches | None:
    """A word asked of every field is a union of its postings in each: the same union in every
    query with that word, so kept (as a term's postings are). None: not a union of terms."""
    signature = _signature(m)
    if signature is None:
        return None
    *segment, _ = key
    return _cached((*segment, signature), functools.partial(_union, m, key))


def _either(m: Any, key: tuple[Any, ...]) -> Scores | Matches | _Dense:
    """A kept union as it was kept (making it a dict again cost more than using it), with its
    scores by document number when it is long; or the scores of anything else."""
    signature = _signature(m) if type(m) is matching.UnionMatcher else None
    if signature is None:
        return _scores(m, key)
    *segment, reader = key
    kept = (*segment, signature)
    found = _cached(kept, functools.partial(_union, m, key))
    dense = _dense(kept, reader.doc_count_all())
    return found if dense is None else dense


class _Dense:
    """Kept matches, their scores by document number (0.0: not a match), and which match."""

    __slots__ = ("by_document", "ids", "mask", "scores")

    def __init__(
        self, ids: array[int], scores: array[float], by_document: tuple[array[float], int]
    ) -> None:
        self.ids, self.scores = ids, scores
        self.by_document, self.mask = by_document


def _dense(key: tuple[Any, ...], size: int) -> _Dense | None:
    """The matches kept under `key` with their scores by document number, for an intersection
    to look each up in C instead of making a dict of them for every query (which cost most of
    a query's time). Only for matches of more than one in DENSE_ABOVE of the segment's
    documents: a list by document number costs more than the matches' own below that."""
    with _cache_lock:
        found = _cache.get(key)
        by_document = _by_document.get(key)
    if found is None:
        return None
    ids, scores = found[0], found[1]
    if by_document is None:
        if len(ids) * DENSE_ABOVE < size or 0.0 in scores:  # 0.0 says "not a match"
            return None
        each, found_in = array("d", bytes(8 * size)), bytearray(size)
        for d, score in zip(ids, scores, strict=True):
            each[d], found_in[d] = score, 1
        by_document = each, int.from_bytes(found_in, "little")
        _keep_by_document(key, by_document)
    return _Dense(ids, scores, by_document)


def _intersection(a: Scores | Matches | _Dense, b: Scores | Matches | _Dense) -> Scores:
    """The documents in both, each score the sum of its two (a + b is b + a, exactly): one
    side looked up, the other read through, in C (map, compress) rather than a Python loop."""
    if isinstance(a, _Dense) and isinstance(b, _Dense):
        size = len(a.by_document)
        ids = list(compress(range(size), (a.mask & b.mask).to_bytes(size, "little")))
        return dict(
            zip(
                ids,
                map(
                    operator.add,
                    map(a.by_document.__getitem__, ids),
                    map(b.by_document.__getitem__, ids),
                ),
                strict=True,
            )
        )
    if isinstance(b, _Dense) and not (isinstance(a, _Dense) and len(a.ids) >= len(b.ids)):
        return _looked_up_in(b, a)
    if isinstance(a, _Dense):
        return _looked_up_in(a, b)
    assert not isinstance(b, _Dense)
    if isinstance(a, dict) and isinstance(b, dict):
        both = list(a.keys() & b.keys())
        return dict(_summed(both, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        looked_up, read = (a, b) if isinstance(a, dict) else (b, a)
    else:
        shorter, longer = (a, b) if len(a[0]) <= len(b[0]) else (b, a)
        looked_up, read = dict(zip(*shorter, strict=True)), longer
    assert isinstance(looked_up, dict) and not isinstance(read, dict)
    inside = list(map(looked_up.__contains__, read[0]))
    ids = list(compress(read[0], inside))
    return dict(
        zip(
            ids,
            map(operator.add, compress(read[1], inside), map(looked_up.__getitem__, ids)),
            strict=True,
        )
    )


def _looked_up_in(dense: _Dense, other: Scores | Matches | _Dense) -> Scores:
    """The intersection of `other`, read through, with the longer `dense`, looked up."""
    read_ids: Sequence[int]
    read_scores: Iterable[float]
    if isinstance(other, dict):
        read_ids, read_scores = list(other.keys()), other.values()
    elif isinstance(other, _Dense):
        read_ids, read_scores = other.ids, other.scores
    else:
        read_ids, read_scores = other
    found = list(map(dense.by_document.__getitem__, read_ids))
    ids = list(compress(read_ids, found))
    return dict(
        zip(ids, map(operator.add, compress(read_scores, found), filter(None, found)), strict=True)
    )


def _summed(ids: list[int], a: Scores, b: Scores) -> Iterable[tuple[int, float]]:
    """Each of `ids` with its score in `a` plus its score in `b`, summed in C (map)."""
    return zip(
        ids, map(operator.add, map(a.__getitem__, ids), map(b.__getitem__, ids)), strict=True
    )


def _union(m: Any, key: tuple[Any, ...]) -> Scores:
    a = _union(m.a, key) if type(m.a) is matching.UnionMatcher else _scores(m.a, key)
    b = _union(m.b, key) if type(m.b) is matching.UnionMatcher else _scores(m.b, key)
    both = list(a.keys() & b.keys())
    united = {**a, **b}
    united.update(_summed(both, a, b))
    return united


def _signature(m: Any) -> tuple[Any, ...] | None:
    """What a union of terms computes, as a key of what is kept: its tree's shape and terms
    (the order of the sums too, so the same floats). None for anything but terms, boosts and deleted documents."""
    kind = type(m)
    if kind is matching.NullMatcherClass:  # a field without the word
        return ("0",)
    if kind is matching.UnionMatcher:
        a, b = _signature(m.a), _signature(m.b)
        return None if a is None or b is None else ("|", a, b)
    if kind is matching.WrappingMatcher:
        child = _signature(m.child)
        return None if child is None else ("^", m.boost, child)
    if kind is matching.FilterMatcher:
        # A segment's deleted documents left out, the same in all its terms in a generation
        # (and what is kept is kept per generation).
        child = _signature(m.child)
        return None if child is None else ("-", m._exclude, m.boost, child)
    if isinstance(m, matching.LeafMatcher) and kind is not matching.ListMatcher:
        term = m.term()
        return None if term is None else ("t", *term)
    return None


def _term_scores(m: Any, reader: Any, segment: tuple[str, str] | None) -> Scores:
    """A term's postings (kept across generations, whoosh_postings) and their scores: Whoosh's
    own BM25F sum, written out (the same operations in the same order, so the same floats) once
    per term frequency and field length met (_BM25Table), and each posting's score looked up in
    C (map), not computed in a Python loop."""
    scorer: Any = getattr(m, "scorer", None)
    if type(scorer) not in (BM25FScorer, WeightScorer):
        return _walk(m, True)
    codes = b""
    if type(scorer) is BM25FScorer:
        found = _length_codes(reader, m.term()[0])
        if found is None:
            return _walk(m, True)
        codes = found
    read = postings(segment, m, getattr(_budget, "deadline", None))
    if read is None:
        return _walk(m, True)
    if type(scorer) is WeightScorer:  # a field scored by its weight alone
        return dict(zip(read.ids, map(read.frequencies.__getitem__, read.which), strict=True))
    table = _BM25Table(scorer)
    rows = [table.row(tf) for tf in read.frequencies]
    return dict(
        zip(
            read.ids,
            map(
                list.__getitem__,
                map(rows.__getitem__, read.which),
                map(codes.__getitem__, read.ids),
            ),
            strict=True,
        )
    )


class _BM25Table:
    """A term's BM25F score for each term frequency and field length met, as Whoosh's bm25()
    computes it: a field's length is one of 256 codes (a byte), and term frequencies are few."""

    def __init__(self, scorer: Any) -> None:
        self.idf, self.avgfl, self.b, self.k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        self.rows: dict[float, list[float]] = {}

    def row(self, tf: float) -> list[float]:
        """The score of `tf` for each length code."""
        found = self.rows.get(tf)
        if found is None:
            idf, avgfl, b, k1 = self.idf, self.avgfl, self.b, self.k1
            found = self.rows[tf] = [
                idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * byte_to_length(code) / avgfl)))
                for code in range(256)
            ]
        return found


def _length_codes(reader: Any, fieldname: str) -> bytes | None:
    """Each document's length of `fieldname` in one segment as Whoosh stores it (a byte whose
    length is byte_to_length's; 0 for a document without the field), read once per segment
    reader from the lengths column. None when the column is not the one-byte column expected."""
    cache: dict[str, bytes | None] = reader.__dict__.setdefault("_registry_lengths", {})
    if fieldname in cache:
        return cache[fieldname]
    found = None
    perdoc = getattr(reader, "_perdoc", None)
    cached_reader = getattr(perdoc, "_cached_reader", None)
    column = cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if cached_reader else None
    if column is not None and getattr(column, "_fixedlen", None) == 1:
        raw = column._dbfile.get(column._basepos, column._count)
        found = bytes(raw + column._defaultbytes * (reader.doc_count_all() - column._count))
    cache[fieldname] = found
    return found


class TierQuery(query.ConstantScoreQuery):
    """Whoosh's ConstantScoreQuery, but its matcher is not listed when it is made: the list
    is worked out with the rest of the tree's sets (_scores), from the postings kept."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, context)
        if isinstance(m, matching.NullMatcherClass):
            return m
        return _TierMatcher(m, self.score, lambda: self.child.matcher(searcher, context))


class _TierMatcher(matching.WrappingMatcher):
    """Matches what its child matches, each with the same score."""

    def __init__(self, child: Any, tier: float, remake: Callable[[], Any]) -> None:
        super().__init__(child)
        self.tier, self.remake = tier, remake

    def _replacement(self, newchild: Any) -> Any:
        return _TierMatcher(newchild, self.tier, self.remake)

    def copy(self) -> Any:
        return _TierMatcher(self.child.copy(), self.tier, self.remake)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return self.tier

    def weight(self) -> float:
        return self.tier

    def score(self) -> float:
        return self.tier


def _walk(m: Any, from_start: bool = False) -> Scores:
    if from_start:
        m.reset()
    deadline = getattr(_budget, "deadline", None)
    scores: Scores = {}
    read = 0
    while m.is_active():
        if deadline is not None and not read % CHECK_EVERY and time.monotonic() > deadline:
            raise OverBudget
        scores[m.id()] = m.score()
        m.next()
        read += 1
    return scores
