"""Terms' postings as read from a Whoosh segment, kept across index generations.

Reading a term's postings is most of a new query's time (Whoosh unpickles and decompresses them
a block of 128 at a time: a common word, 30,000 postings, cost tens of milliseconds). A
segment's postings never change once written (deleting a document marks it deleted, and a merge
writes a new segment with an id of its own), so each term's is kept by its segment's id, across
the index's generations: a commit only makes them be scored again (whoosh_matches), which is a
lookup per posting in C. When a searcher opens a segment for the first time, a thread of its
own reads its longest postings ahead of the first searches that need them (warm)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from itertools import accumulate, repeat
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3LeafMatcher

log = logging.getLogger(__name__)

DECODED_POSTINGS = 4_000_000  # ~20 MB: each posting's document number and term frequency
WARM_POSTINGS = 2_000_000  # read ahead when an index is first opened, across its segments
WARM_SHORTEST = 200  # postings: a shorter term's are read when a search needs them
WARM_PAUSE = 0.001  # seconds the warming thread steps aside between terms, for searches


class Postings:
    """A term's postings in one segment: document numbers, and each one's term frequency as an
    index into `frequencies` (few distinct), the values Whoosh's scorer is given."""

    __slots__ = ("frequencies", "ids", "which")

    def __init__(self, ids: array[int], frequencies: list[float], which: array[int]) -> None:
        self.ids, self.frequencies, self.which = ids, frequencies, which

    def __len__(self) -> int:
        return len(self.ids)


_kept: OrderedDict[tuple[Any, ...], Postings] = OrderedDict()
_kept_size = 0
_lock = threading.Lock()
_warming: dict[tuple[str, str], threading.Thread] = {}  # (index dir, segment id) -> its reader
_searching = 0  # searches under way in this process: reading ahead waits for them


@contextlib.contextmanager
def searching() -> Iterator[None]:
    """Around a search: reading ahead steps aside until it is done, so that it costs searches
    (which share one interpreter lock with it) next to nothing."""
    global _searching
    with _lock:
        _searching += 1
    try:
        yield
    finally:
        with _lock:
            _searching -= 1


def step_aside() -> None:
    """In the thread reading ahead: wait while any search is under way."""
    time.sleep(0)
    while _searching:
        time.sleep(WARM_PAUSE)


def segment_key(path: str, reader: Any) -> tuple[str, str] | None:
    """What a segment's postings are kept under: its index's directory and its id (None for a
    reader of no segment, whose postings are not kept)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return None if segment is None else (path, segment.segment_id())


def postings(
    segment: tuple[str, str] | None,
    m: Any,
    deadline: float | None = None,
    between_blocks: Callable[[], None] | None = None,
) -> Postings | None:
    """The postings of leaf matcher `m`'s term, kept or read from its start (and kept). None:
    not a matcher whose blocks can be read as a whole (the caller steps through it)."""
    if type(m) is not W3LeafMatcher or m._byteids:
        return None
    key = None if segment is None else (*segment, *m.term())
    if key is not None:
        with _lock:
            found = _kept.get(key)
            if found is not None:
                _kept.move_to_end(key)
                return found
    read = _read(m, deadline, between_blocks)
    if key is not None:
        _keep(key, read)
    return read


class OverBudget(Exception):
    """Reading postings ran past the search's deadline."""


def _read(
    m: Any, deadline: float | None = None, between_blocks: Callable[[], None] | None = None
) -> Postings:
    """Every posting of `m` from its start, a block at a time: each block's document numbers
    are its deltas summed (accumulate, in C), as Whoosh's delta_decode sums them one by one."""
    m.reset()
    ids = array("i")
    frequencies: list[float] = []
    number: dict[float, int] = {}
    which: list[int] = []
    while m.is_active():
        if deadline is not None and time.monotonic() > deadline:
            raise OverBudget
        m._read_data()
        block = list(accumulate(m._data[0]))
        ids.extend(block)
        weights = m._data[1]
        if weights is None or isinstance(weights, float):
            # Every posting's weight the same: 1.0, or one kept as Whoosh's reader keeps it (a
            # 32-bit float, as array("f") rounds it).
            tf = 1.0 if weights is None else array("f", [weights])[0]
            which.extend(repeat(number.setdefault(tf, len(number)), len(block)))
        else:
            for tf in set(weights).difference(number):
                number[tf] = len(number)
            which.extend(map(number.__getitem__, weights))
        m._next_block()
        if between_blocks is not None:
            between_blocks()
    frequencies = list(number)
    return Postings(ids, frequencies, array("B" if len(frequencies) <= 256 else "I", which))


def _cost(found: Postings) -> int:
    return len(found)


def _keep(key: tuple[Any, ...], found: Postings) -> None:
    global _kept_size
    with _lock:
        if key in _kept:
            return
        _kept[key] = found
        _kept_size += _cost(found)
        while _kept_size > DECODED_POSTINGS and len(_kept) > 1:
            _, dropped = _kept.popitem(last=False)
            _kept_size -= _cost(dropped)


def kept_size() -> int:
    """How many postings are kept (for tests and the bench)."""
    with _lock:
        return _kept_size


def forget() -> None:
    """Drop every kept posting (tests)."""
    global _kept_size
    with _lock:
        _kept.clear()
        _kept_size = 0


# -- reading ahead ----------------------------------------------------------------------------


def warm(
    path: str,
    searcher: Any,
    fields: list[str],
    then: Callable[[Any], None] | None = None,
    budget: int = WARM_POSTINGS,
) -> None:
    """Read ahead the longest postings of `fields` in each of `searcher`'s segments not read
    ahead before in this process, in a thread of its own (with a searcher of its own: a Whoosh
    reader is not shared between threads); then `then` is given that searcher (to work out the
    commonest words' unions). It steps aside while searches are under way. Returns at once."""
    segments = [segment_key(path, reader) for reader, _ in searcher.reader().leaf_readers()]
    with _lock:
        # Segments merged away are not seen again: forget them.
        for gone in [s for s in _warming if s[0] == path and s not in segments]:
            del _warming[gone]
        new = [s for s in segments if s is not None and s not in _warming]
        if not new:
            return
        thread = threading.Thread(
            target=_warm,
            args=(path, set(new), fields, budget // max(1, len(segments)), then),
            name="registry-search-warm",
            daemon=True,
        )
        for segment in new:
            _warming[segment] = thread
    thread.start()


def wait_for_warming(timeout: float | None = None) -> None:
    """Until every reading ahead started so far is done (tests, the bench)."""
    with _lock:
        threads = set(_warming.values())
    for thread in threads:
        thread.join(timeout)


def _warm(
    path: str,
    segments: set[tuple[str, str]],
    fields: list[str],
    budget: int,
    then: Callable[[Any], None] | None,
) -> None:
    started = time.perf_counter()
    read = 0
    try:
        step_aside()
        ix = whoosh_index.open_dir(path)
        try:
            with ix.searcher() as searcher:
                for leaf, _ in searcher.reader().leaf_readers():
                    segment = segment_key(path, leaf)
                    if segment in segments:
                        read += _warm_segment(segment, leaf, fields, budget)
                if then is not None:
                    then(searcher)
        finally:
            ix.close()
    except Exception:  # rebuilt or removed meanwhile: searches read what they need themselves
        log.debug("reading ahead the search index at %s stopped", path, exc_info=True)
    log.info("read ahead %d postings of %s in %.1fs", read, path, time.perf_counter() - started)


def _warm_segment(segment: Any, reader: Any, fields: list[str], budget: int) -> int:
    read = 0
    for _, field, term in _longest(reader, fields, budget):
        step_aside()
        m = reader.postings(field, term)
        read += len(postings(segment, m, between_blocks=step_aside) or ())
    return read


def _longest(reader: Any, fields: list[str], budget: int) -> Iterator[tuple[int, str, bytes]]:
    """The segment's terms of `fields`, longest postings first, as long as they fit `budget`."""
    lengths = []
    for field in fields:
        if field in reader.schema and reader.schema[field].scorable:
            step_aside()
            # Short postings cost a search little to read: not listed (nor held) at all.
            lengths += [
                (length, field, term)
                for term, info in reader.iter_field(field)
                if (length := info.doc_frequency()) >= WARM_SHORTEST
            ]
    lengths.sort(reverse=True)
    total = 0
    for length, field, term in lengths:
        total += length
        if total > budget:
            return
        yield length, field, term
