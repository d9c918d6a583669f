"""Searches too broad to answer are refused with the reason, alike on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from registry.search.breadth import MIN_PREFIX, Limits, check_wildcards
from registry.search.documents import all_documents
from registry.search.interfaces import SearchTooBroad
from registry.search.postgres_backend import PostgresSearchService
from registry.search.whoosh_backend import WhooshSearchService
from registry.suppliers.models import Supplier
from tests.common.db.core import SupplierFactory
from tests.common.db.search import gp_market

TOO_BROAD = ["?*?*", "*", "a*", "??", "*:*", "title:?*", "(e?*)", "EMIS -*", "\u061f*"]


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request: Any, db_session: Session, tmp_path: Path) -> Any:
    def make(limits: Limits | None = None) -> Any:
        if request.param == "postgresql":
            return PostgresSearchService(db_session, limits)
        service = WhooshSearchService(tmp_path / "index", limits)
        service.rebuild(all_documents(db_session, expunge=False))
        return service

    if request.param == "postgresql" and db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend needs a PostgreSQL test database")
    return make


@pytest.mark.parametrize("query", TOO_BROAD)
def test_a_wildcard_without_enough_letters_is_refused(backend: Any, query: str) -> None:
    gp_market()
    with pytest.raises(SearchTooBroad, match=f"too broad: .* at least {MIN_PREFIX} letters"):
        backend().search(query)


@pytest.mark.parametrize(
    "query", ["EMIS*", "emis", "EM*", "emis~", "~", '"EMIS Health"', "Health EMI*"]
)
def test_ordinary_and_prefix_searches_still_work(backend: Any, query: str) -> None:
    market = gp_market()
    results = backend().search(query)
    if query != "~":
        assert f"supplier:{market.emis.id}" in [h.document.key for h in results.hits]


def test_whoosh_counts_the_words_a_wildcard_stands_for(db_session: Session, tmp_path: Path) -> None:
    gp_market()
    service = WhooshSearchService(tmp_path / "index")
    service.rebuild(all_documents(db_session, expunge=False))
    searcher = service._searcher()
    count = service.expansions(searcher, service._parse("sy*"))
    assert count > 2
    assert service.expansions(searcher, service._parse("emis")) == 0  # no wildcard, no expansion
    assert service.expansions(searcher, service._parse("emis~")) == 0  # no fuzzy expansion either
    narrow = WhooshSearchService(tmp_path / "index", Limits(max_expansions=count - 1))
    with pytest.raises(SearchTooBroad, match=f"more than {count - 1:,} words"):
        narrow.search("sy*")
    assert WhooshSearchService(tmp_path / "index", Limits(max_expansions=count)).search("sy*")


def test_whoosh_gives_up_past_its_time_budget(db_session: Session, tmp_path: Path) -> None:
    gp_market()
    service = WhooshSearchService(tmp_path / "index", Limits(time_budget=0.0))
    service.rebuild(all_documents(db_session, expunge=False))
    with pytest.raises(SearchTooBroad, match="within 0 seconds"):
        service.search("EMIS")


def test_postgresql_restores_the_statement_timeout(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    gp_market()
    before = db_session.execute(text("SHOW statement_timeout")).scalar_one()
    PostgresSearchService(db_session, Limits(time_budget=2.5)).search("EMIS")
    assert db_session.execute(text("SHOW statement_timeout")).scalar_one() == before


def test_postgresql_plans_the_rest_of_the_request_as_before(db_session: Session) -> None:
    # The search's own statement is told to read the GIN index, not scan the table: the
    # request's later statements are planned with every plan allowed again.
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    gp_market()
    assert db_session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
    found = PostgresSearchService(db_session).search("EMIS")
    assert found.total
    assert db_session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"


def test_postgresql_plans_its_statement_for_the_words_without_jit_and_restores_it(
    db_session: Session,
) -> None:
    # The statement is priced past jit_above_cost, and compiling it took longer than running
    # it; prepared by the driver, it is still planned for each query's words.
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    names = ("jit", "enable_seqscan", "plan_cache_mode")
    show = select(*(func.current_setting(name) for name in names))
    before = tuple(db_session.execute(show).one())
    service = PostgresSearchService(db_session)
    assert tuple(service._within_budget(show)[0]) == ("off", "off", "force_custom_plan")
    assert tuple(db_session.execute(show).one()) == before


def test_postgresql_searches_pending_changes_and_keeps_them(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    supplier = SupplierFactory(name="Wombat Ltd")
    db_session.flush()
    supplier.name = "Quokkacorp Ltd"  # not flushed yet
    found = PostgresSearchService(db_session).search("quokkacorp")
    assert [h.document.key for h in found.hits] == [f"supplier:{supplier.id}"]
    name = select(Supplier.name).where(Supplier.id == supplier.id)
    assert db_session.execute(name).scalar_one() == "Quokkacorp Ltd"


def test_postgresql_answers_a_search_in_four_statements_however_many_match(
    db_session: Session,
) -> None:
    # The savepoint and its settings, the one statement that matches, filters, counts and pages,
    # the rollback, and the page's records of each kind shown: never a statement per match.
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    for n in range(30):
        SupplierFactory(name=f"Zebracorp {n} Ltd")
    db_session.flush()
    service = PostgresSearchService(db_session)
    statements: list[str] = []
    connection = db_session.connection()

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        first = service.search("zebracorp")
        counted = len(statements)
        filtered = service.search("zebracorp", filters={"kind": ["supplier"]}, page=2)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert (first.total, filtered.total, len(filtered.hits)) == (30, 30, 10)
    assert counted == 4 and len(statements) == 8, statements


def test_the_limits_come_from_the_settings() -> None:
    limits = Limits.from_settings(
        {"registry.search.max_expansions": "7", "registry.search.time_budget": "0.5"}
    )
    assert limits == Limits(max_expansions=7, time_budget=0.5)
    check_wildcards("clin* EMIS* title:sys*")  # enough letters: no refusal


def test_postgresql_stops_a_query_past_its_budget_and_carries_on(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    market = gp_market()
    service = PostgresSearchService(db_session, Limits(time_budget=0.01))
    with pytest.raises(SearchTooBroad, match=r"within 0\.01 seconds"):
        service._within_budget(select(func.pg_sleep(1)))
    # The savepoint is rolled back: the request's transaction goes on (a search of its own
    # budget: ten milliseconds are too few for a search's one statement, counting its facets).
    found = PostgresSearchService(db_session).search("EMIS")
    assert f"supplier:{market.emis.id}" in [h.document.key for h in found.hits]
