"""A segment's postings are read once per process and kept across the index's generations
(whoosh_postings), and read ahead in a thread of their own when a segment is first opened: the
results must stay Whoosh's own whatever was kept, read ahead, merged or dropped."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from registry.search import whoosh_backend, whoosh_facets, whoosh_matches, whoosh_postings
from registry.search.whoosh_backend import WhooshSearchService
from tests.unit.search.test_whoosh_evaluation import (
    QUERIES,
    _documents,
    _ours,
    _whoosh,
    _with_suppliers,
)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes]]:
    """The terms whose postings are read from the index files, in this thread (searches)."""
    read: list[tuple[str, bytes]] = []
    original = whoosh_postings._read
    searching = threading.current_thread()

    def counted(m: Any, *args: Any) -> Any:
        if threading.current_thread() is searching:
            read.append(m.term())
        return original(m, *args)

    monkeypatch.setattr(whoosh_postings, "_read", counted)
    return read


def _segments(service: WhooshSearchService) -> set[str]:
    return {r.segment().segment_id() for r, _ in service._searcher().reader().leaf_readers()}


def test_postings_are_kept_across_generations_and_read_again_when_merged(
    tmp_path: Path, reads: list[tuple[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_backend, "warm", lambda *args: None)  # read only by searches
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=13))
    for text in QUERIES:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    assert reads and whoosh_postings.kept_size() > 0
    first = _segments(service)

    # A commit adds a segment (and deletes the old copies of updated records): a new generation
    # whose scores differ, but the first segment's postings are not read again.
    reads.clear()
    service.index(_documents(30, seed=2), removed=["contract:50"])
    assert len(_segments(service)) == 2
    for text in QUERIES:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    searcher = service._searcher()
    new_segment = [
        r for r, _ in searcher.reader().leaf_readers() if r.segment().segment_id() not in first
    ]
    assert reads and all(term in new_segment[0] for term in reads)

    # Merged into a segment of a new id, whose postings are read anew.
    ix = whoosh_index.open_dir(str(service.path))
    ix.optimize()
    ix.close()
    reads.clear()
    for text in QUERIES:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    assert not (_segments(service) & first)
    assert ("body", b"alpha") in reads


def test_what_is_read_ahead_is_what_searches_read_and_finds_the_same(
    tmp_path: Path, reads: list[tuple[str, bytes]]
) -> None:
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=17))
    service.search("nothing")  # opens the index, which starts reading ahead
    whoosh_postings.wait_for_warming()
    (segment,) = [
        whoosh_postings.segment_key(str(service.path), r)
        for r, _ in service._searcher().reader().leaf_readers()
    ]
    kept = {key[2:] for key in whoosh_postings._kept if key[:2] == segment}
    assert ("body", b"alpha") in kept
    # The commonest words of names, asked of every field, were worked out too.
    assert any(
        isinstance(key[-1], tuple) and key[0] == str(service.path) for key in whoosh_matches._cache
    )
    reads.clear()
    for text in QUERIES:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    assert ("body", b"alpha") not in reads and ("title", b"beta") not in reads


def test_reading_ahead_waits_while_a_search_is_under_way(tmp_path: Path) -> None:
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(1000, seed=19))  # words in some 450: long enough to read ahead
    with whoosh_postings.searching():
        service._searcher()  # opened: reading ahead starts, and waits
        time.sleep(0.2)
        segment = whoosh_postings.segment_key(
            str(service.path), service._searcher().reader().leaf_readers()[0][0]
        )
        assert not [key for key in whoosh_postings._kept if key[:2] == segment]
    whoosh_postings.wait_for_warming()
    assert [key for key in whoosh_postings._kept if key[:2] == segment]


def test_kept_postings_stay_within_their_limit_and_results_stay_whooshs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_postings, "DECODED_POSTINGS", 3_000)
    monkeypatch.setattr(whoosh_backend, "warm", lambda *args: None)
    # Scored again from the postings kept (or read again) for each query: nothing scored kept.
    monkeypatch.setattr(whoosh_matches, "CACHED_POSTINGS", 0)
    whoosh_postings.forget()
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=23))
    for text in [*QUERIES, "alpha beta gamma", "delta epsilon"]:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
        assert whoosh_postings.kept_size() <= 3_000 or len(whoosh_postings._kept) == 1


def test_reading_ahead_keeps_to_its_budget_and_gives_up_on_a_removed_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(1000, seed=29))
    ix = service._open()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        longest = max((reader.doc_frequency("body", w), w) for w in reader.lexicon("body"))
        whoosh_postings.warm(str(service.path), searcher, ["body"], None, longest[0])
        whoosh_postings.wait_for_warming()
    ix.close()
    kept = [key[2:] for key in whoosh_postings._kept if key[0] == str(service.path)]
    assert kept == [("body", longest[1])]  # the longest alone fits the budget

    # Rebuilt meanwhile (its segments' files gone): reading ahead stops, searches still work.
    removed = WhooshSearchService(tmp_path / "other")
    removed.rebuild(_documents(1000, seed=31))
    with whoosh_postings.searching():
        removed._searcher()
        shutil.rmtree(removed.path)
    whoosh_postings.wait_for_warming()
    assert not [key for key in whoosh_postings._kept if key[0] == str(removed.path)]


def test_a_segments_facet_values_are_kept_across_generations(tmp_path: Path) -> None:
    # Read once per segment: a commit (its deletions and a new segment) reuses the first
    # segment's table, and the counts are those of a table read afresh.
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_with_suppliers(5100, seed=37))
    service.search("alpha")
    first = service._searcher().reader().leaf_readers()[0][0]
    table = whoosh_facets.facet_table(first)
    service.index(_documents(30, seed=41), removed=["contract:2", "supplier:4"])
    kept = service.search("alpha OR beta").facets
    reader = service._searcher().reader().leaf_readers()[0][0]
    assert reader is not first and whoosh_facets.facet_table(reader, str(service.path)) is table
    whoosh_facets._tables.clear()
    with whoosh_matches._cache_lock:  # nothing scored kept either: counted afresh
        whoosh_matches._cache.clear()
        whoosh_matches._by_document.clear()
        whoosh_matches._cache_size = 0
    service._forget()
    assert service.search("alpha OR beta").facets == kept
    assert whoosh_facets.facet_table(service._searcher().reader().leaf_readers()[0][0]) is not table
