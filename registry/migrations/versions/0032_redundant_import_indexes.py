"""redundant indexes: four single-column indexes that lead a composite one (issue 21)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

This revision belongs to the OCDS import. Every contract and release an import writes updates
each index of its table; these four repeat the leading column of another, which both engines
use for a lookup by that column alone (the foreign keys' checks included):
- ix_contracts_buyer_id: ix_contracts_buyer_id_supplier_id;
- ix_contracts_supplier_id: ix_contracts_supplier_figures;
- ix_contracts_lot_id: ix_contracts_lot_figures;
- ix_imported_releases_ocid: uq_imported_releases_ocid_release_id.
No data is dropped; downgrade makes them again.

Search vectors (0016) keep their statement-level triggers, deliberately. An import writes a
batch with one COPY (or executemany) per table, so the vectors of a batch's rows are already made
by one set-based statement per table, and are searchable the moment the import commits. Turning
the triggers off for the import and refreshing its rows once at the end was measured (20,000
releases): the triggers cost about 0.9 s of the server's CPU, the one refresh at the end 1.0 to
1.3 s, since the cost is to_tsvector itself; and ALTER TABLE ... DISABLE TRIGGER would hold an
exclusive lock on contracts, so every public page would wait for the whole import.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# name -> (table, column): each the leading column of another index of the same table.
REDUNDANT = {
    "ix_contracts_buyer_id": ("contracts", "buyer_id"),
    "ix_contracts_supplier_id": ("contracts", "supplier_id"),
    "ix_contracts_lot_id": ("contracts", "lot_id"),
    "ix_imported_releases_ocid": ("imported_releases", "ocid"),
}


def upgrade() -> None:
    for name, (table, _) in REDUNDANT.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(name))


def downgrade() -> None:
    for name, (table, column) in REDUNDANT.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(name), [column], unique=False)
