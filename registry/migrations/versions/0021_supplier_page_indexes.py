"""an index for the supplier page: assessments by supplier, status and period end (issue 8)

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

The supplier page lists a supplier's latest published assessments, overall and per framework
within the scoring window. With (status, period_end) alone, SQLite walked every published
assessment of the window to find one supplier's; this index seeks the supplier's and reads them
newest first.
"""

from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessments_supplier_id_status_period_end"),
            ["supplier_id", "status", "period_end"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_supplier_id_status_period_end"))
