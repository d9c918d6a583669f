"""indexes for the public pages under load (issue 8)

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

A supplier's or buyer's assessment clocks start from the published assessments of its contracts
(assessments by contract and status); a flag's page counts its detector's coverage by state
(detector_coverage by detector and state, read from the index alone), and a market's page what
every detector made of that market (detector_coverage by subject).
"""

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessments_contract_id_status"), ["contract_id", "status"], unique=False
        )
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_detector_coverage_detector_state"), ["detector", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_detector_coverage_subject_type_subject_key"),
            ["subject_type", "subject_key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detector_coverage_subject_type_subject_key"))
        batch_op.drop_index(batch_op.f("ix_detector_coverage_detector_state"))
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_contract_id_status"))
