"""PostgreSQL: what each supplier sells is one row (supplier_sells, migration 0030) that the
triggers keep in step with its contracts, lots and frameworks through every write path: an
insert, a retitling, a retraction, a removal from a lot, a merge and its reversal; and the
migration fills it from the rows already there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.contracts.services import ContractService
from registry.db import refresh_statistics
from registry.frameworks.models import MembershipStatus
from registry.migrate import alembic_config, upgrade_to_head
from registry.search.postgres_backend import PostgresSearchService
from registry.suppliers.merging import merge, reverse
from tests.common.db import base as factories
from tests.common.db.core import (
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    SupplierFactory,
)

SOLD = sa.text(
    "SELECT supplier_id, strip(vector)::text FROM supplier_sells ORDER BY supplier_id, 2"
)


M = "'messag' 'patholog' 'result'"  # "Pathology results messaging"
R = "'mortuari' 'refriger'"  # "Mortuary refrigeration"


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("supplier_sells is the PostgreSQL search backend's")


def sold(db: Session | sa.Connection) -> dict[int, list[str]]:
    """Each supplier's titles, as their words, in order."""
    found: dict[int, list[str]] = {}
    for supplier_id, words in db.execute(SOLD):
        found.setdefault(supplier_id, []).append(words)
    return found


def test_a_contract_adds_its_title_and_a_retitling_or_retraction_takes_it_away(
    db_session: Session,
) -> None:
    supplier = SupplierFactory(name="Acme Ltd")
    contract = ContractFactory(supplier=supplier, title="Pathology results messaging")
    ContractFactory(supplier=supplier, title="Mortuary refrigeration")
    db_session.flush()
    assert sold(db_session) == {
        supplier.id: [M, R],
    }

    contract.title = "Radiology imaging"
    db_session.flush()
    assert sold(db_session)[supplier.id] == ["'imag' 'radiolog'", R]

    ContractService(db_session).retract(contract, "Published in error", actor=None)
    assert sold(db_session)[supplier.id] == [R]


def test_an_unrelated_change_leaves_the_row_alone(db_session: Session) -> None:
    contract = ContractFactory(title="Pathology results messaging")
    db_session.flush()
    where = sa.text("SELECT ctid::text FROM supplier_sells WHERE supplier_id = :id")
    before = db_session.execute(where, {"id": contract.supplier_id}).scalar_one()
    contract.value_amount = contract.value_amount + 1
    contract.title = contract.title  # unchanged, though written
    db_session.flush()
    # The same tuple: a refresh deletes the row and inserts it again, elsewhere in the table.
    assert db_session.execute(where, {"id": contract.supplier_id}).scalar_one() == before
    contract.title = "Mortuary refrigeration"
    db_session.flush()
    assert db_session.execute(where, {"id": contract.supplier_id}).scalar_one() != before


def test_lots_and_frameworks_count_while_the_supplier_is_on_them(db_session: Session) -> None:
    framework = FrameworkFactory(title="Digital pathology", description="Names its rivals")
    lot = LotFactory(framework=framework, title="Slide scanners")
    membership = MembershipFactory(lot=lot)
    db_session.flush()
    supplier_id = membership.supplier_id
    assert sold(db_session)[supplier_id] == ["'digit' 'patholog'", "'scanner' 'slide'"]

    framework.title = "Cellular pathology"
    db_session.flush()
    assert sold(db_session)[supplier_id] == ["'cellular' 'patholog'", "'scanner' 'slide'"]

    membership.status = MembershipStatus.removed
    db_session.flush()
    assert supplier_id not in sold(db_session)


def test_a_merge_moves_the_titles_to_the_survivor_and_a_reversal_moves_them_back(
    db_session: Session,
) -> None:
    merged = ContractFactory(title="Pathology results messaging").supplier
    survivor = ContractFactory(title="Mortuary refrigeration").supplier
    db_session.flush()
    row = merge(db_session, merged, survivor, reason="Same company", actor=None)
    db_session.flush()
    assert sold(db_session) == {
        survivor.id: [M, R],
    }

    reverse(db_session, row, reason="Not the same company after all", actor=None)
    db_session.flush()
    assert sold(db_session) == {
        merged.id: [M],
        survivor.id: [R],
    }


def test_the_search_finds_a_seller_by_the_words_of_its_titles(db_session: Session) -> None:
    supplier = SupplierFactory(name="Acme Ltd")
    ContractFactory(supplier=supplier, title="Pathology results messaging")
    rival = SupplierFactory(name="Pathology Messaging Ltd")  # named so, selling nothing
    db_session.flush()
    hits = PostgresSearchService(db_session).search("pathology messaging").hits
    keys = [h.document.key for h in hits]
    # The seller first; the rival found by its name, but not a seller: below it.
    assert keys[0] == f"supplier:{supplier.id}"
    assert keys.index(f"supplier:{rival.id}") > 0


def test_the_migration_fills_the_rows_from_what_is_already_there(
    migrated_engine: tuple[str, Engine],
) -> None:
    url, engine = migrated_engine
    # Written at head (the models' hooks need the later revisions' tables), then taken back to
    # before the table: the upgrade finds the contracts already there.
    with Session(engine) as db:
        factories.bind(db)
        try:
            supplier_id = ContractFactory(title="Pathology results messaging").supplier_id
            db.commit()
        finally:
            factories.bind(None)
    engine.dispose()  # alembic works on its own connection; the downgrade must not wait on ours
    command.downgrade(alembic_config(url), "0029")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("supplier_sells")
    engine.dispose()
    upgrade_to_head(url)
    with engine.connect() as conn:
        assert sold(conn) == {supplier_id: [M]}


def test_refreshing_statistics_after_a_load_empties_the_indexes_pending_lists(
    migrated_engine: tuple[str, Engine],
) -> None:
    _, engine = migrated_engine
    with Session(engine) as db:
        factories.bind(db)
        try:
            ContractFactory.create_batch(3, title="Pathology results messaging")
            db.commit()
        finally:
            factories.bind(None)
    pending = sa.text(
        "SELECT gin_clean_pending_list('ix_search_vectors_vector'::regclass)"
        " + gin_clean_pending_list('ix_supplier_sells_vector'::regclass)"
    )
    refresh_statistics(engine)
    # Flushing again finds nothing to move: the load's entries (every insert goes to the pending
    # list first) are in the indexes proper. Peeking first would flush them itself.
    with engine.connect() as conn:
        assert conn.execute(pending).scalar_one() == 0


def test_the_whole_query_must_match_one_title(db_session: Session) -> None:
    # As before the titles had rows of their own: words spread over two titles do not make a
    # seller of what was asked for.
    both = ContractFactory(title="Cloud identity").supplier
    spread = ContractFactory(title="Cloud hosting").supplier
    ContractFactory(supplier=spread, title="Identity checks")
    db_session.flush()
    hits = PostgresSearchService(db_session).search("cloud identity").hits
    keys = [h.document.key for h in hits]
    assert keys[0] == f"supplier:{both.id}"
    assert f"supplier:{spread.id}" not in keys
