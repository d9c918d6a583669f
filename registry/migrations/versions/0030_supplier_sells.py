"""supplier_sells: the titles each supplier sells under, GIN-indexed (issue 21)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the search feature. The PostgreSQL backend ranks a supplier that sells
what was asked for above word matches, and found those suppliers by joining every matching
contract, lot and framework back to its suppliers at query time (a join per titled hit, then a
check that each seller is public): most of a broad query's time at 100,000 records. The titles
a supplier sells under (of its public contracts, of the public lots it is on and of their
frameworks, as registry.search.offers gives the Whoosh document) are now rows of their own, a
row a title (the title alone must match the whole query, as before: one row a supplier would
match "cloud identity" across two titles), so the sellers are one index lookup. The table is
created on both engines; on PostgreSQL alone (as 0016: full-text search is that engine's own)
it is filled and kept in step by statement-level triggers with transition tables, set-based,
whatever wrote the rows. An UPDATE touching none of the columns the titles come from refreshes
nothing.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

CONFIG = "english"
PLANNED = "SET plan_cache_mode = force_custom_plan"  # as 0016: plans from the current sizes
# The titles the suppliers of `contracts` and `memberships` (rows of those tables) sell under,
# once each: the public contracts', and (as the backend read them before) the public lots and
# frameworks of memberships not removed.
TITLES = """
    SELECT c.supplier_id, c.title FROM {contracts} c
    WHERE c.publication = 'published' AND c.retracted_at IS NULL
    UNION
    SELECT m.supplier_id, l.title FROM {memberships} m
    JOIN lots l ON l.id = m.lot_id JOIN frameworks f ON f.id = l.framework_id
    WHERE m.status <> 'removed' AND l.retracted_at IS NULL AND f.retracted_at IS NULL
    UNION
    SELECT m.supplier_id, f.title FROM {memberships} m
    JOIN lots l ON l.id = m.lot_id JOIN frameworks f ON f.id = l.framework_id
    WHERE m.status <> 'removed' AND f.retracted_at IS NULL"""


def _sold(contracts: str, memberships: str) -> str:
    """(supplier id, title key, title vector) of the public suppliers among those of these rows:
    a row a title, so that the title alone must match, as before."""
    titles = TITLES.format(contracts=contracts, memberships=memberships)
    return f"""SELECT t.supplier_id, md5(t.title), to_tsvector('{CONFIG}', t.title)
    FROM ({titles}) AS t (supplier_id, title)
    JOIN suppliers s ON s.id = t.supplier_id AND s.merged_into_id IS NULL"""


NONE = "(SELECT * FROM {table} WHERE false)"
# An inserted contract or membership adds its titles to its supplier's (an import inserts a
# national supplier's contracts statement by statement: reading them all again each time would
# grow with the square of their number); every other change reads the supplier's titles again.
ADDED = {
    "contracts": ("changed", NONE.format(table="memberships")),
    "memberships": (NONE.format(table="contracts"), "changed"),
}
# table -> (the columns the sold words depend on, SQL of the suppliers whose words the rows of
# `rows` (a transition table) change).
SOURCES = {
    "contracts": (
        "title, supplier_id, publication, retracted_at",
        "SELECT supplier_id FROM rows",
    ),
    "memberships": ("supplier_id, lot_id, status", "SELECT supplier_id FROM rows"),
    "lots": (
        "title, framework_id, retracted_at",
        "SELECT m.supplier_id FROM memberships m JOIN rows ON m.lot_id = rows.id",
    ),
    "frameworks": (
        "title, retracted_at",
        """SELECT m.supplier_id FROM memberships m
        JOIN lots l ON l.id = m.lot_id JOIN rows ON l.framework_id = rows.id""",
    ),
    "suppliers": ("merged_into_id", "SELECT id FROM rows"),
}


def _refresh_function() -> str:
    return f"""
CREATE OR REPLACE FUNCTION supplier_sells_refresh(ids integer[]) RETURNS void
LANGUAGE plpgsql {PLANNED} AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM supplier_sells WHERE supplier_id = ANY(ids);
    INSERT INTO supplier_sells (supplier_id, title_key, vector)
    {
        _sold(
            "(SELECT * FROM contracts WHERE supplier_id = ANY(ids))",
            "(SELECT * FROM memberships WHERE supplier_id = ANY(ids))",
        )
    };
END $$"""


def _changed_function(table: str, columns: str, suppliers: str) -> str:
    """INSERT (but of contracts and memberships, ADDED) and DELETE refresh the suppliers of
    their rows; UPDATE those of the rows whose `columns` changed, before and after (a contract
    moved to another supplier changes both)."""
    moved = f"""SELECT {{side}}.* FROM changed n JOIN gone o ON o.id = n.id
        WHERE ({", ".join(f"n.{c}" for c in columns.split(", "))})
            IS DISTINCT FROM ({", ".join(f"o.{c}" for c in columns.split(", "))})"""

    def of(rows: str) -> str:
        return f"WITH rows AS MATERIALIZED ({rows}) {suppliers}"

    inserted = f"PERFORM supplier_sells_refresh(ARRAY({of('SELECT * FROM changed')}));"
    if table in ADDED:
        inserted = f"""INSERT INTO supplier_sells (supplier_id, title_key, vector)
        {_sold(*ADDED[table])} ON CONFLICT DO NOTHING;"""
    # An import's batch joins its rows to suppliers it has just inserted, whose statistics
    # still say "none": a nested loop over both was quadratic (2 s a batch of 2,000). A hash
    # join reads the suppliers once.
    hashed = " SET enable_nestloop = off" if table in ADDED else ""
    return f"""
CREATE OR REPLACE FUNCTION supplier_sells_{table}_changed() RETURNS trigger
LANGUAGE plpgsql {PLANNED}{hashed} AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {inserted}
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM supplier_sells_refresh(ARRAY({of("SELECT * FROM gone")}));
    ELSE
        PERFORM supplier_sells_refresh(ARRAY({
        of(f"{moved.format(side='n')} UNION ALL {moved.format(side='o')}")
    }));
    END IF;
    RETURN NULL;
END $$"""


TRANSITIONS = {
    "INSERT": "NEW TABLE AS changed",
    "UPDATE": "OLD TABLE AS gone NEW TABLE AS changed",
    "DELETE": "OLD TABLE AS gone",
}


def upgrade() -> None:
    op.create_table(
        "supplier_sells",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("title_key", sa.String(length=32), nullable=False),
        sa.Column(
            "vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("supplier_id", "title_key", name=op.f("pk_supplier_sells")),
        comment="the titles each public supplier sells under, for the PostgreSQL search backend",
    )
    op.create_index(
        "ix_supplier_sells_vector",
        "supplier_sells",
        ["vector"],
        unique=False,
        postgresql_using="gin",
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_refresh_function())
    for table, (columns, suppliers) in SOURCES.items():
        op.execute(_changed_function(table, columns, suppliers))
        for event, transition in TRANSITIONS.items():
            op.execute(
                f"CREATE TRIGGER supplier_sells_{table}_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION supplier_sells_{table}_changed()"
            )
    op.execute("SELECT supplier_sells_refresh(ARRAY(SELECT id FROM suppliers))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SOURCES:
            for event in TRANSITIONS:
                op.execute(
                    f"DROP TRIGGER IF EXISTS supplier_sells_{table}_{event.lower()} ON {table}"
                )
            op.execute(f"DROP FUNCTION IF EXISTS supplier_sells_{table}_changed()")
        op.execute("DROP FUNCTION IF EXISTS supplier_sells_refresh(integer[])")
    op.drop_index("ix_supplier_sells_vector", table_name="supplier_sells")
    op.drop_table("supplier_sells")
