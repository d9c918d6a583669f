"""`registry reindex` on the PostgreSQL backend: the triggers keep the vectors, so there is
nothing to rebuild and no document is built (at a million records that took minutes); it says
how many records are searchable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.search.interfaces import Document
from registry.search.models import SearchVector
from registry.search.postgres_backend import PostgresSearchService
from tests.common.db.core import ContractFactory


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the stored vectors are the PostgreSQL search backend's")


def _never_read() -> Iterator[Document]:
    raise AssertionError("the documents were built")
    yield  # pragma: no cover


def test_a_rebuild_counts_the_searchable_records_without_building_documents(
    db_session: Session,
) -> None:
    ContractFactory.create_batch(3)
    db_session.flush()
    searchable = db_session.execute(
        sa.select(sa.func.count()).select_from(SearchVector.__table__)
    ).scalar_one()
    assert searchable > 0
    assert PostgresSearchService(db_session).rebuild(_never_read()) == searchable
