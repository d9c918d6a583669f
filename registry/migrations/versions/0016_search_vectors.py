"""search_vectors: the PostgreSQL search backend's stored tsvectors, GIN-indexed (issue 8)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the search feature. The table is created on both engines; on
PostgreSQL alone (the one exception to the first rule: full-text search is that engine's own) it
is filled from the existing rows and kept in step by statement-level triggers with transition
tables, one set-based INSERT ... SELECT per statement, whatever wrote the rows. A record's words
are those the Whoosh documents hold, its framework's reference, buyer and supplier names included,
so renaming a supplier, group, buyer or framework refreshes the records that carry its name.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CONFIG = "english"
# kind -> (table, the words of the public records among `r`, the rows of that table whose ids are
# in the array `ids`, as (record_id, text) rows): a retracted, unpublished or merged record has no
# vector, so is not found. `r` is fetched first by primary key alone (a MATERIALIZED CTE): inside a
# bulk load the planner's statistics are stale, and given other indexed conditions it would scan
# the whole table once per statement.
WORDS = {
    "framework": (
        "frameworks",
        """SELECT r.id, concat_ws(' ', r.reference, r.title, r.owner_body, r.description)
        FROM r WHERE r.retracted_at IS NULL""",
    ),
    "lot": (
        "lots",
        """SELECT r.id, concat_ws(' ', f.reference, r.title, r.description)
        FROM r JOIN frameworks f ON f.id = r.framework_id
        WHERE r.retracted_at IS NULL AND f.retracted_at IS NULL""",
    ),
    "supplier": (
        "suppliers",
        """SELECT r.id, concat_ws(' ', r.name, r.aliases::text, g.name,
            r.companies_house_number, r.duns, r.party_id)
        FROM r JOIN supplier_groups g ON g.id = r.group_id
        WHERE r.merged_into_id IS NULL""",
    ),
    "obligation": (
        "obligations",
        """SELECT r.id, concat_ws(' ', r.title, r.description, r.standard_reference,
            r.category, f.reference)
        FROM r JOIN frameworks f ON f.id = r.framework_id
        WHERE r.retracted_at IS NULL AND f.retracted_at IS NULL""",
    ),
    "contract": (
        "contracts",
        """SELECT r.id, concat_ws(' ', r.title, r.description, r.reference, r.ocid,
            b.name, s.name)
        FROM r JOIN buyers b ON b.id = r.buyer_id JOIN suppliers s ON s.id = r.supplier_id
        WHERE r.publication = 'published' AND r.retracted_at IS NULL""",
    ),
}
# Every call plans its statements afresh, from the tables' current sizes: a plan cached while a
# table was small would scan the whole table once per statement as a bulk load grows it.
PLANNED = "SET plan_cache_mode = force_custom_plan"
# table -> (kind it holds or None, [(kind, SQL selecting the ids of the records carrying its words)])
TABLES = {
    "frameworks": (
        "framework",
        [
            ("lot", "SELECT id FROM lots WHERE framework_id = ANY(ids)"),
            ("obligation", "SELECT id FROM obligations WHERE framework_id = ANY(ids)"),
        ],
    ),
    "lots": ("lot", []),
    "suppliers": (
        "supplier",
        [("contract", "SELECT id FROM contracts WHERE supplier_id = ANY(ids)")],
    ),
    "supplier_groups": (None, [("supplier", "SELECT id FROM suppliers WHERE group_id = ANY(ids)")]),
    "obligations": ("obligation", []),
    "buyers": (None, [("contract", "SELECT id FROM contracts WHERE buyer_id = ANY(ids)")]),
    "contracts": ("contract", []),
}


# kind -> (table, SQL of the (record_id, vector) rows of the records among `r`): each record's
# words, as one vector. Revision 0029 weights the titles within them.
VECTORS = {
    kind: (table, f"SELECT w.id, to_tsvector('{CONFIG}', w.words) FROM ({sql}) AS w (id, words)")
    for kind, (table, sql) in WORDS.items()
}


def _refresh_function(vectors: dict[str, tuple[str, str]]) -> str:
    branches = "\n    ELSIF ".join(
        f"""which = '{kind}' THEN
        DELETE FROM search_vectors WHERE kind = '{kind}' AND record_id = ANY(ids);
        INSERT INTO search_vectors (kind, record_id, vector)
        WITH r AS MATERIALIZED (SELECT * FROM {table} WHERE id = ANY(ids))
        SELECT '{kind}', v.id, v.vector FROM ({sql}) AS v (id, vector);"""
        for kind, (table, sql) in vectors.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION search_vectors_refresh(which text, ids integer[]) RETURNS void
LANGUAGE plpgsql {PLANNED} AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    ELSIF {branches}
    END IF;
END $$"""


def _changed_function(table: str, kind: str | None, carriers: list[tuple[str, str]]) -> str:
    steps = ["ids := ARRAY(SELECT id FROM changed);"]
    if kind:
        steps.append(f"PERFORM search_vectors_refresh('{kind}', ids);")
    steps += [f"PERFORM search_vectors_refresh('{k}', ARRAY({sql}));" for k, sql in carriers]
    body = "\n    ".join(steps)
    return f"""
CREATE OR REPLACE FUNCTION search_vectors_{table}_changed() RETURNS trigger
LANGUAGE plpgsql {PLANNED} AS $$
DECLARE ids integer[];
BEGIN
    {body}
    RETURN NULL;
END $$"""


def create_functions(vectors: dict[str, tuple[str, str]] = VECTORS) -> None:
    """(Re)define the trigger functions; revision 0018 calls this again to replace the first
    definitions in databases that ran this revision before it was corrected, and 0029 with
    vectors whose titles are weighted."""
    op.execute(_refresh_function(vectors))
    for table, (kind, carriers) in TABLES.items():
        op.execute(_changed_function(table, kind, carriers))
        if kind:
            op.execute(
                f"""CREATE OR REPLACE FUNCTION search_vectors_{table}_gone() RETURNS trigger
                LANGUAGE plpgsql {PLANNED} AS $$
                BEGIN
                    DELETE FROM search_vectors
                    WHERE kind = '{kind}' AND record_id IN (SELECT id FROM gone);
                    RETURN NULL;
                END $$"""
            )


def upgrade() -> None:
    op.create_table(
        "search_vectors",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column(
            "vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "record_id", name=op.f("pk_search_vectors")),
        comment="the words of each searchable record, for the PostgreSQL search backend",
    )
    op.create_index(
        "ix_search_vectors_vector",
        "search_vectors",
        ["vector"],
        unique=False,
        postgresql_using="gin",
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    create_functions()
    for table, (kind, _) in TABLES.items():
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER search_vectors_{table}_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION search_vectors_{table}_changed()"
            )
        if kind:
            op.execute(
                f"CREATE TRIGGER search_vectors_{table}_delete AFTER DELETE ON {table} "
                f"REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
                f"EXECUTE FUNCTION search_vectors_{table}_gone()"
            )
    for table, (kind, _) in TABLES.items():
        if kind:
            op.execute(f"SELECT search_vectors_refresh('{kind}', ARRAY(SELECT id FROM {table}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS search_vectors_{table}_{event} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS search_vectors_{table}_changed()")
            op.execute(f"DROP FUNCTION IF EXISTS search_vectors_{table}_gone()")
        op.execute("DROP FUNCTION IF EXISTS search_vectors_refresh(text, integer[])")
    op.drop_index("ix_search_vectors_vector", table_name="search_vectors")
    op.drop_table("search_vectors")
