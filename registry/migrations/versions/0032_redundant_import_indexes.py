"""redundant indexes: four single-column indexes that lead a composite one (issue 21)

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-06

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the OCDS import. Every contract and release an import writes updates
each index of its table; these four repeat the leading column of another, which both engines
use for a lookup by that column alone (the foreign keys' checks included):
- ix_contracts_buyer_id: ix_contracts_buyer_id_supplier_id;
- ix_contracts_supplier_id: ix_contracts_supplier_figures;
- ix_contracts_lot_id: ix_contracts_lot_figures;
- ix_imported_releases_ocid: uq_imported_releases_ocid_release_id.
No data is dropped; downgrade makes them again.

Search vectors (0016) stay with their statement-level triggers, deliberately: an import writes
a batch with one COPY (or executemany) per table, so the vectors of a batch's rows are made in
one set-based statement per table already, and the search backend finds them the moment the
import commits. Deferring them to one statement at the end of the import was measured to cost
the same (the server's time is to_tsvector itself, not the trigger), and would leave a window
in which a failed refresh left the records unfindable.
"""

from alembic import op

revision = "0032"
down_revision = "0029"
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
