"""PostgreSQL: the titles of contracts, lots and frameworks are weighted A in their stored vectors
(migration 0029), written by the triggers and by the migration's backfill alike, and the search
backend reads them there to find who sells what was asked for."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.migrate import alembic_config, upgrade_to_head
from tests.common.db import base as factories
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory

# Each titled record's stored title (the weight-A words, without places) beside its own title's.
TITLES = sa.text(
    """SELECT v.kind, strip(ts_filter(v.vector, '{a}'))::text, strip(to_tsvector('english', t.title))::text
    FROM search_vectors v JOIN (
        SELECT 'contract' AS kind, id, title FROM contracts
        UNION ALL SELECT 'lot', id, title FROM lots
        UNION ALL SELECT 'framework', id, title FROM frameworks
    ) t ON t.kind = v.kind AND t.id = v.record_id
    ORDER BY v.kind"""
)


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the stored vectors are the PostgreSQL search backend's")


def titled(db: Session | sa.Connection) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in db.execute(TITLES)]  # type: ignore[misc]


def records() -> dict[str, Any]:
    framework = FrameworkFactory(title="Pathology networks", description="Imaging and hosting")
    lot = LotFactory(framework=framework, title="Pathology analysers", description="Blood gas")
    contract = ContractFactory(title="Pathology results messaging", description="Radiology")
    return {"framework": framework, "lot": lot, "contract": contract}


def test_the_triggers_store_each_title_weighted_on_insert_and_update(db_session: Session) -> None:
    written = records()
    db_session.flush()
    stored = titled(db_session)
    assert [kind for kind, _, _ in stored] == ["contract", "framework", "lot"]
    assert all(title == own and "patholog" in title for _, title, own in stored)
    # The other words are in the vector, unweighted: found, though not as the title.
    assert "imag" not in dict((k, t) for k, t, _ in stored)["framework"]

    for record in written.values():
        record.title = "Mortuary refrigeration"
    db_session.flush()
    stored = titled(db_session)
    assert len(stored) == 3
    assert all(title == own == "'mortuari' 'refriger'" for _, title, own in stored)


def test_the_migration_weights_the_titles_already_stored(
    migrated_engine: tuple[str, Engine],
) -> None:
    url, engine = migrated_engine
    with Session(engine) as db:
        factories.bind(db)
        try:
            records()
            db.commit()
        finally:
            factories.bind(None)
    engine.dispose()  # alembic works on its own connection; the downgrade must not wait on ours
    command.downgrade(alembic_config(url), "0028")
    with engine.connect() as conn:
        assert [title for _, title, _ in titled(conn)] == ["", "", ""]  # no weighted words
    engine.dispose()
    upgrade_to_head(url)
    with engine.connect() as conn:
        stored = titled(conn)
    assert len(stored) == 3
    assert all(title == own and "patholog" in title for _, title, own in stored)
