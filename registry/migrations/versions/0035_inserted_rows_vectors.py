"""search triggers: an inserted row's vectors from the statement's own rows, parsed once (issue 21)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the search feature. An OCDS import spent most of PostgreSQL's time in
the triggers on its inserts: each batch of contracts was fetched again by id to build their
vectors (after a DELETE of vectors a new row cannot have), and supplier_sells parsed every
title a second time. An INSERT now has triggers of its own:
- the record's vector is built from the statement's rows (the transition table) by the very SQL
  of 0016 and 0029, so it is the same vector;
- nothing else is refreshed: no row can name a row that its own statement inserts (a contract
  its new supplier or buyer, a supplier its new group, a lot its new framework), so the carriers
  and supplier_sells of a new supplier had nothing to do; the INSERT triggers of buyers and
  supplier groups, which did only that, are dropped;
- a new contract's title vector in supplier_sells is the weight-A part of its stored vector
  (`ts_filter`), weighted back to the default: the words and places `to_tsvector` of the title
  gives. PostgreSQL fires a table's triggers of one event in the order of their names, so
  search_vectors_contracts_insert has written it by then; should it not have (a contract with no
  vector), the title is parsed as before.
Updates and deletes keep the triggers of 0016 and 0030. PostgreSQL only, as 0016.
"""

from types import ModuleType

from alembic import context, op
from alembic.script import ScriptDirectory

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

CONFIG = "english"
PLANNED = "SET plan_cache_mode = force_custom_plan"  # as 0016
# Tables whose INSERT trigger only refreshed records carrying their words (none, for a new row).
CARRIERS_ONLY = ("supplier_groups", "buyers")
INSERTED = "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"


def _revision(number: str) -> ModuleType:
    script = ScriptDirectory.from_config(context.config).get_revision(number)
    assert script is not None
    return script.module


def _vectors() -> dict[str, tuple[str, str]]:
    """kind -> (table, SQL of the (record_id, vector) rows of the records among `r`): 0016's,
    with 0029's weighted titles."""
    return {**_revision("0016").VECTORS, **_revision("0029").TITLED}


def _added_function(table: str, kind: str, sql: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION search_vectors_{table}_added() RETURNS trigger
LANGUAGE plpgsql {PLANNED} AS $$
BEGIN
    INSERT INTO search_vectors (kind, record_id, vector)
    WITH r AS (SELECT * FROM changed)
    SELECT '{kind}', v.id, v.vector FROM ({sql}) AS v (id, vector)
    ON CONFLICT (kind, record_id) DO UPDATE SET vector = EXCLUDED.vector;
    RETURN NULL;
END $$"""


# A new contract's title, as supplier_sells holds it (0030), from its stored vector.
SOLD_CONTRACTS = f"""
CREATE OR REPLACE FUNCTION supplier_sells_contracts_added() RETURNS trigger
LANGUAGE plpgsql {PLANNED} SET enable_nestloop = off AS $$
BEGIN
    INSERT INTO supplier_sells (supplier_id, title_key, vector)
    SELECT c.supplier_id, md5(c.title), coalesce(
        (SELECT setweight(ts_filter(v.vector, '{{a}}'), 'D') FROM search_vectors v
        WHERE v.kind = 'contract' AND v.record_id = c.id),
        to_tsvector('{CONFIG}', c.title))
    FROM changed c JOIN suppliers s ON s.id = c.supplier_id AND s.merged_into_id IS NULL
    WHERE c.publication = 'published' AND c.retracted_at IS NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$"""


def _point(trigger: str, table: str, function: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute(
        f"CREATE TRIGGER {trigger} AFTER INSERT ON {table} {INSERTED} EXECUTE FUNCTION {function}()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    vectors = _vectors()
    for table, (kind, _) in _revision("0016").TABLES.items():
        if kind is None:
            continue
        op.execute(_added_function(table, kind, vectors[kind][1]))
        _point(f"search_vectors_{table}_insert", table, f"search_vectors_{table}_added")
    for table in CARRIERS_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS search_vectors_{table}_insert ON {table}")
    op.execute(SOLD_CONTRACTS)
    _point("supplier_sells_contracts_insert", "contracts", "supplier_sells_contracts_added")
    op.execute("DROP TRIGGER IF EXISTS supplier_sells_suppliers_insert ON suppliers")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (kind, _) in _revision("0016").TABLES.items():
        _point(f"search_vectors_{table}_insert", table, f"search_vectors_{table}_changed")
        if kind is not None:
            op.execute(f"DROP FUNCTION IF EXISTS search_vectors_{table}_added()")
    _point("supplier_sells_contracts_insert", "contracts", "supplier_sells_contracts_changed")
    _point("supplier_sells_suppliers_insert", "suppliers", "supplier_sells_suppliers_changed")
    op.execute("DROP FUNCTION IF EXISTS supplier_sells_contracts_added()")
