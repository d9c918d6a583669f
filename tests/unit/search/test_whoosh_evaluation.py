"""The Whoosh backend evaluates each query's matcher tree as sets, keeping terms' postings
between searches: its totals, order and scores must be exactly those of Whoosh's own collector,
whatever was searched before and after the index changes."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest
from whoosh import collectors, query

from registry.search import whoosh_matches
from registry.search.interfaces import Document
from registry.search.whoosh_backend import SELLS_TIER, WhooshSearchService, _sells_parser

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta"]
# The first puts "beta" inside a NOT (its matcher moved on when the tree was built) before
# "beta" is searched alone; phrases and wildcards are stepped through by Whoosh.
QUERIES = [
    "alpha NOT beta",
    "beta",
    "alpha beta",
    "alpha OR gamma",
    "gamma NOT (delta OR zeta)",
    '"alpha beta"',
    "alp* theta",
    "title:alpha",
    "nothing",
]


def _documents(count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)

    def text(words: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(words))

    # Few words and short texts: many documents score alike, so ties must come out in order.
    return [
        Document(kind="contract", record_id=i, title=text(2), body=text(4), names=text(1))
        for i in range(1, count + 1)
    ]


def _whoosh(service: WhooshSearchService, text: str, limit: int) -> tuple[int, list[Any]]:
    """The total and the best `limit` by Whoosh's collector, scoring every match."""
    searcher = service._searcher()
    collector = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    searcher.search_with_collector(service._parse(text), collector)
    best = [(searcher.stored_fields(hit.docnum)["key"], hit.score) for hit in collector.results()]
    return collector.count(), best


def _ours(service: WhooshSearchService, text: str, limit: int) -> tuple[int, list[Any]]:
    results = service.search(text, page_size=limit)
    return results.total, [(hit.document.key, hit.score) for hit in results.hits]


# Above 5,000 documents Whoosh joins a word's fields with a tree of unions, below with arrays.
@pytest.mark.parametrize("count", [300, 5100])
def test_results_are_whooshs_own_before_and_after_an_update(tmp_path: Path, count: int) -> None:
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(count, seed=count))
    for text in QUERIES * 2:  # the second time from what was kept
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    # Updated documents are deleted and added again: a new generation, with deletions.
    changed = _documents(40, seed=1)
    service.index(changed, removed=["contract:41", "contract:42"])
    for text in QUERIES:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
    assert service.search("beta").total == _whoosh(service, "beta", 1)[0]


def test_threads_share_what_is_kept_and_find_the_same(tmp_path: Path) -> None:
    # Waitress serves searches from several threads: each has its own searcher, all share the
    # postings kept, and none may see another's half-built results.
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=3))
    expected = {text: _whoosh(service, text, 20) for text in QUERIES}
    found: list[tuple[str, Any]] = []

    def search() -> None:
        mine = WhooshSearchService(tmp_path / "index")
        for text in QUERIES * 3:
            found.append((text, _ours(mine, text, 20)))

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 * 3 * len(QUERIES)
    assert all(result == expected[text] for text, result in found)


def _with_suppliers(count: int, seed: int) -> list[Document]:
    """Every third document a supplier's, for the kind facet."""
    docs = _documents(count, seed)
    for doc in docs[::3]:
        doc.kind = "supplier"
    return docs


def _with_sales(count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    docs = _documents(count, seed)
    for doc in docs[::3]:
        doc.kind, doc.sells = "supplier", " ".join(rng.choice(WORDS) for _ in range(3))
    return docs


@pytest.mark.parametrize("count", [300, 5100])
def test_sellers_come_first_as_whooshs_own_constant_score_ranks_them(
    tmp_path: Path, count: int
) -> None:
    # The sellers' tier is worked out with the rest of the sets (TierQuery): the same matches,
    # order and scores as Whoosh's ConstantScoreQuery stepped through by its own collector,
    # phrases (which Whoosh itself lists) included.
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_with_sales(count, seed=count))
    searcher = service._searcher()
    for text in [*QUERIES, "alpha beta gamma", "zeta"] * 2:
        parsed = service._parse(text)
        sells = _sells_parser().parse(text)
        tiered = query.AndMaybe(parsed, query.ConstantScoreQuery(sells, SELLS_TIER))
        collector = collectors.TopCollector(limit=50, usequality=False, replace=0)
        searcher.search_with_collector(tiered, collector)
        expected = [
            (searcher.stored_fields(hit.docnum)["key"], hit.score) for hit in collector.results()
        ]
        assert _ours(service, text, 50) == (collector.count(), expected), text
    # The best of "alpha beta" sell both: the tier is what ranks them first.
    best = service.search("alpha beta", page_size=5).hits
    assert best and all(hit.score >= SELLS_TIER for hit in best)


def test_later_pages_and_filtered_pages_are_in_whooshs_order(tmp_path: Path) -> None:
    # A query's best are put in order as far as its first page needs: a later page, or a facet
    # filter's, needs more of them in order, from what was kept.
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_with_suppliers(5100, seed=5))
    for text in ["beta", "alpha OR gamma", "alpha NOT beta"]:
        total, best = _whoosh(service, text, 150)
        assert _ours(service, text, 20) == (total, best[:20]), text
        third = service.search(text, page=3, page_size=50)
        assert [(h.document.key, h.score) for h in third.hits] == best[100:150], text
        suppliers = service.search(text, filters={"kind": ["supplier"]}, page_size=30)
        expected = [(key, score) for key, score in best if key.startswith("supplier:")]
        assert [(h.document.key, h.score) for h in suppliers.hits] == expected[:30], text


def test_a_kept_searcher_and_kept_postings_see_a_document_indexed_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The thread's searcher and the postings kept for its generation (a long union's scores by
    # document number too) are reused between searches; a commit makes a new generation.
    monkeypatch.setattr(whoosh_matches, "_by_document", {})
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=7))
    before = service.search("alpha beta")
    assert before.total and whoosh_matches._by_document  # the long unions were looked up
    searcher = service._searcher()
    service.index(
        [Document(kind="supplier", record_id=1, title="alpha beta", body="", names="alpha")]
    )
    after = service.search("alpha beta", filters={"kind": ["supplier"]})
    assert service._searcher() is not searcher
    assert [hit.document.key for hit in after.hits] == ["supplier:1"]
    assert _ours(service, "alpha beta", 50) == _whoosh(service, "alpha beta", 50)


def test_what_is_kept_stays_within_its_limit_and_results_stay_whooshs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scores by document number are dropped with the kept matches they were made from, and
    # count towards the same limit: a small one drops some, and none outlives its matches.
    monkeypatch.setattr(whoosh_matches, "CACHED_POSTINGS", 20_000)
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(_documents(5100, seed=11))
    for text in [*QUERIES, "alpha beta gamma", "delta epsilon", "zeta theta"] * 2:
        assert _ours(service, text, 50) == _whoosh(service, text, 50), text
        with whoosh_matches._cache_lock:  # the thread reading ahead keeps some too
            assert set(whoosh_matches._by_document) <= set(whoosh_matches._cache)
            assert whoosh_matches._cache_size <= 20_000 or len(whoosh_matches._cache) == 1
