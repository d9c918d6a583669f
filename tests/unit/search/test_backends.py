"""One conformance suite run against every search backend: Whoosh always, PostgreSQL full-text
search when the test database is PostgreSQL (Kinto's shared backend tests)."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index

from registry.search.documents import all_documents
from registry.search.interfaces import MAX_QUERY_LENGTH, ISearchService, SearchUnavailable
from registry.search.postgres_backend import PostgresSearchService
from registry.search.services import NullSearchService
from registry.search.whoosh_backend import WhooshSearchService
from tests.common.db.core import SupplierFactory
from tests.common.db.search import EMIS_CH, a_score, gp_market, open_market_flag


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request: Any, db_session: Session, tmp_path: Path) -> Any:
    def make() -> Any:
        if request.param == "postgresql":
            return PostgresSearchService(db_session)
        service = WhooshSearchService(tmp_path / "index")
        service.rebuild(all_documents(db_session, expunge=False))
        return service

    if request.param == "postgresql" and db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend needs a PostgreSQL test database")
    return make  # built after the test's data, as `registry reindex` would be


def keys(results: Any) -> list[str]:
    return [hit.document.key for hit in results.hits]


@pytest.mark.parametrize("cls", [WhooshSearchService, PostgresSearchService, NullSearchService])
def test_backends_implement_the_interface(cls: Any) -> None:
    from zope.interface.verify import verifyClass

    assert verifyClass(ISearchService, cls)


class TestConformance:
    def test_finds_a_supplier_by_name(self, backend: Any) -> None:
        market = gp_market()
        results = backend().search("EMIS")
        assert f"supplier:{market.emis.id}" in keys(results)
        assert f"supplier:{market.tpp.id}" not in keys(results)

    def test_finds_a_supplier_by_alias_in_any_case(self, backend: Any) -> None:
        market = gp_market()
        assert keys(backend().search("systmone"))[0] == f"supplier:{market.tpp.id}"

    def test_finds_a_supplier_by_companies_house_number(self, backend: Any) -> None:
        market = gp_market()
        assert keys(backend().search(EMIS_CH)) == [f"supplier:{market.emis.id}"]

    def test_finds_an_obligation_by_words(self, backend: Any) -> None:
        market = gp_market()
        results = backend().search("bulk extract")
        assert keys(results)[0] == f"obligation:{market.bulk.id}"
        assert results.hits[0].document.category == "data portability"

    def test_suggests_a_misspelt_supplier_name(self, backend: Any) -> None:
        gp_market()
        results = backend().search("Sytmone")
        assert results.total == 0
        assert results.suggestion == "SystmOne"

    def test_no_suggestion_when_spelt_right(self, backend: Any) -> None:
        gp_market()
        assert backend().search("SystmOne").suggestion is None

    def test_only_published_contracts(self, backend: Any) -> None:
        market = gp_market()
        service = backend()
        found = keys(service.search("clinical system"))
        assert [k for k in found if k.startswith("contract:")] == [
            f"contract:{market.published.id}"
        ]
        # TPP sells it (its published contract's title); EMIS's only such contract is a draft,
        # which says nothing about what EMIS sells in public.
        assert f"supplier:{market.tpp.id}" in found
        assert f"supplier:{market.emis.id}" not in found
        assert service.search("confidential draft").total == 0

    def test_facets_count_and_filter(self, backend: Any) -> None:
        market = gp_market()
        service = backend()
        results = service.search("RM9999")
        kinds = {f.value: f.count for f in results.facets["kind"]}
        assert kinds["framework"] == 1 and kinds["lot"] == 1 and kinds["obligation"] == 2
        assert {f.value for f in results.facets["category"]} == {
            "data portability",
            "interoperability",
        }
        only = service.search("RM9999", filters={"category": ["data portability"]})
        assert keys(only) == [f"obligation:{market.bulk.id}"]
        suppliers = service.search("Ltd", filters={"kind": ["supplier"], "frameworks": ["RM9999"]})
        assert {h.document.record_id for h in suppliers.hits} == {
            market.emis.id,
            market.tpp.id,
            market.vision.id,
        }

    def test_pages(self, backend: Any) -> None:
        for n in range(23):
            SupplierFactory(name=f"Zebracorp {n} Ltd")
        service = backend()
        first = service.search("zebracorp", page_size=10)
        third = service.search("zebracorp", page=3, page_size=10)
        beyond = service.search("zebracorp", page=99, page_size=10)
        assert (first.total, len(first.hits), first.pages) == (23, 10, 3)
        assert len(third.hits) == 3 and third.page == 3
        assert beyond.page == 3  # a page past the end shows the last one
        assert not set(keys(first)) & set(keys(third))
        # Facets count every match, not only the page shown.
        assert {f.value: f.count for f in first.facets["kind"]} == {"supplier": 23}

    @pytest.mark.parametrize(
        "text",
        [
            '"unbalanced',
            "EMIS AND",
            "OR",
            "NOT",
            "(((",
            "emis)) OR (",
            "kind:supplier",
            "\x00",
            "' OR 1=1 --",
        ],
    )
    def test_bad_syntax_never_raises(self, backend: Any, text: str) -> None:
        market = gp_market()
        results = backend().search(text)
        assert results.total >= 0
        if "EMIS" in text.upper():
            assert f"supplier:{market.emis.id}" in keys(results)

    def test_very_long_input_is_shortened_with_a_notice(self, backend: Any) -> None:
        market = gp_market()
        results = backend().search("EMIS " + "x" * 5000)
        assert results.notice and str(MAX_QUERY_LENGTH) in results.notice
        results = backend().search("EMIS " * 500)
        assert f"supplier:{market.emis.id}" in keys(results)


def test_whoosh_reports_a_missing_index(tmp_path: Path) -> None:
    service = WhooshSearchService(tmp_path / "nowhere")
    assert service.check() is not None
    with pytest.raises(SearchUnavailable):
        service.search("EMIS")
    service.create()
    assert service.check() is None
    assert service.search("EMIS").total == 0


# Whoosh leaves the damaged file open when it gives up on it.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_whoosh_reports_a_corrupt_index(tmp_path: Path) -> None:
    service = WhooshSearchService(tmp_path / "index")
    service.create()
    for toc in (tmp_path / "index").glob("*.toc"):
        toc.write_bytes(b"not an index")
    assert service.check() is not None
    with pytest.raises(SearchUnavailable):
        service.search("EMIS")
    gc.collect()  # close what Whoosh left open while this test's warning filters apply


def _score(db: Session, supplier: Any, value: str) -> None:
    db.add(a_score(supplier.id, value))


def _open_flag(db: Session, group_id: int) -> None:
    db.add(open_market_flag("GP systems", group_id, of_group=True))


def test_score_band_and_open_flag_facets(backend: Any, db_session: Session) -> None:
    market = gp_market()
    _score(db_session, market.emis, "62.5")
    _score(db_session, market.tpp, "90")
    _open_flag(db_session, market.emis.group_id)
    db_session.flush()
    service = backend()
    results = service.search("Ltd", filters={"kind": ["supplier"]})
    bands = {f.value: f.count for f in results.facets["score_band"]}
    assert bands == {"50 to 69": 1, "85 to 100": 1, "not yet scored": 1}
    assert {f.value: f.count for f in results.facets["open_flags"]} == {"yes": 1, "no": 2}
    flagged = service.search("Ltd", filters={"open_flags": ["yes"]})
    assert keys(flagged) == [f"supplier:{market.emis.id}"]
    top = service.search("Ltd", filters={"score_band": ["85 to 100"]})
    assert keys(top) == [f"supplier:{market.tpp.id}"]


def test_whoosh_reads_the_next_generation_when_a_writer_removed_the_one_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.search import whoosh_backend

    service = WhooshSearchService(tmp_path / "index")
    service.create()
    real_open = whoosh_backend.whoosh_index.open_dir
    removed = iter([True])  # the first open finds its generation gone, as under load

    def open_dir(*args: Any, **kwargs: Any) -> Any:
        if next(removed, False):
            raise FileNotFoundError("_MAIN_136.toc")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(whoosh_backend.whoosh_index, "open_dir", open_dir)
    assert service.search("EMIS").total == 0

    def always_gone(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("_MAIN_136.toc")

    monkeypatch.setattr(whoosh_backend.whoosh_index, "open_dir", always_gone)
    with pytest.raises(SearchUnavailable):
        WhooshSearchService(tmp_path / "index")._open()


def test_whoosh_rebuilt_in_segments_side_by_side_finds_the_same_in_the_same_order(
    db_session: Session, tmp_path: Path
) -> None:
    gp_market()
    for number in range(7):  # equal scores: their order is the documents' order in the index
        SupplierFactory(name=f"Clinical Systems {number} Ltd", aliases=["Clinical Systems"])
    whole = WhooshSearchService(tmp_path / "whole")
    parts = WhooshSearchService(tmp_path / "parts")
    count = whole.rebuild(all_documents(db_session, expunge=False))
    # Segments of three documents, built by worker processes and listed in the order read.
    assert parts.rebuild(all_documents(db_session, expunge=False), segment_size=3) == count
    ix = whoosh_index.open_dir(str(parts.path))
    with ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == -(-count // 3)
        assert searcher.doc_count() == count
    ix.close()

    def found(service: WhooshSearchService, text: str, **kwargs: Any) -> Any:
        results = service.search(text, page_size=3, **kwargs)
        hits = [(hit.document, hit.score) for hit in results.hits]
        return hits, results.total, results.facets, results.suggestion

    # Not wildcards: Whoosh scores a wildcard that stands for one word in a segment as that
    # word, and one that stands for more at a constant score, segment by segment.
    for text in ("clinical systems", "EMIS", "systmone", "bulk extract", "clinicl", "practice"):
        for page in (1, 2):
            assert found(parts, text, page=page) == found(whole, text, page=page), text
        kind = {"kind": ["supplier"]}
        assert found(parts, text, filters=kind) == found(whole, text, filters=kind), text
    assert found(parts, "clinical systems")[1] >= 7


def test_whoosh_index_replaces_and_removes_documents_in_every_segment(
    db_session: Session, tmp_path: Path
) -> None:
    """`index` deletes the documents it replaces or removes wherever they are (a rebuilt index
    has many segments), and of two documents given for one key keeps the last."""
    market = gp_market()
    for number in range(5):
        SupplierFactory(name=f"Segment Supplier {number} Ltd")
    db_session.flush()
    service = WhooshSearchService(tmp_path / "index")
    count = service.rebuild(all_documents(db_session, expunge=False), segment_size=2)
    documents = {d.key: d for d in all_documents(db_session, expunge=False)}
    emis = documents[f"supplier:{market.emis.id}"]
    tpp = documents[f"supplier:{market.tpp.id}"]
    renamed = dataclasses.replace(emis, title="Egton Renamed Ltd", names="Egton Renamed Ltd")
    service.index([emis, renamed], removed=[tpp.key])
    assert service.search("Egton Renamed").total == 1
    assert keys(service.search("Egton Renamed")) == [emis.key]
    assert tpp.key not in keys(service.search("TPP", page_size=50))
    ix = whoosh_index.open_dir(str(service.path))
    with ix.searcher() as searcher:
        assert searcher.doc_count() == count - 1  # one replaced in place, one removed
        assert len(list(searcher.document_numbers(key=emis.key))) == 1
    ix.close()


def test_whoosh_rebuilds_without_forking_a_process_that_runs_other_threads(
    db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild from a web request (a bulk write past REBUILD_ABOVE) runs beside the server's
    threads: its segments are built in-process, the same as the workers would build them."""
    import threading

    from registry.search import whoosh_backend

    gp_market()
    for number in range(5):
        SupplierFactory(name=f"Threaded Supplier {number} Ltd")
    db_session.flush()
    forked = WhooshSearchService(tmp_path / "forked")
    count = forked.rebuild(all_documents(db_session, expunge=False), segment_size=3)

    def no_fork(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a worker process was forked beside other threads")

    monkeypatch.setattr(whoosh_backend, "ProcessPoolExecutor", no_fork)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        here = WhooshSearchService(tmp_path / "here")
        assert here.rebuild(all_documents(db_session, expunge=False), segment_size=3) == count
    finally:
        release.set()
        other.join()
    for text in ("threaded supplier", "EMIS", "practice"):
        hits = [(h.document, h.score) for h in here.search(text, page_size=50).hits]
        assert hits == [(h.document, h.score) for h in forked.search(text, page_size=50).hits]
    # A command line's rebuild (its only thread; searches here may have left a read-ahead
    # thread running) forks its workers.
    monkeypatch.setattr(whoosh_backend.threading, "active_count", lambda: 1)
    with pytest.raises(AssertionError, match="forked"):
        WhooshSearchService(tmp_path / "cli").rebuild(
            all_documents(db_session, expunge=False), segment_size=3
        )
