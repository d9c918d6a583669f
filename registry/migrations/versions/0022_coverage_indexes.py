"""detector_coverage with three indexes instead of five (issue 8)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

A detector's first run inserts a row for every subject it examined (hundreds of thousands for the
contract and buyer-pair detectors), and each index costs a B-tree insertion per row. The state
index was never read (every query by state names the detector: the (detector, state) index), and
the unique key now leads with the subject, so it also finds what every detector made of one
subject (a market's page), which the separate (subject_type, subject_key) index did.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detector_coverage_state"))
        batch_op.drop_index(batch_op.f("ix_detector_coverage_subject_type_subject_key"))
        batch_op.drop_constraint(
            batch_op.f("uq_detector_coverage_detector_subject_type_subject_key"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_detector_coverage_subject_type_subject_key_detector"),
            ["subject_type", "subject_key", "detector"],
        )


def downgrade() -> None:
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_detector_coverage_subject_type_subject_key_detector"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_detector_coverage_detector_subject_type_subject_key"),
            ["detector", "subject_type", "subject_key"],
        )
        batch_op.create_index(
            batch_op.f("ix_detector_coverage_subject_type_subject_key"),
            ["subject_type", "subject_key"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_detector_coverage_state"), ["state"], unique=False)
