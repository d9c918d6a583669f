"""detector runs: when each detector last checked its subjects; coverage kept between runs

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the detectors (issue 8). A run no longer rewrites every coverage row:
it applies only the difference, so when a detector last checked a subject is its latest run's
time, kept in detector_runs; each coverage row keeps when it last changed (changed_at). Each
detector's latest coverage is recorded as its first run, so the pages keep their dates.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    runs = op.create_table(
        "detector_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False, comment="the detector's id"),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("run_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False, comment="checked, not flagged"),
        sa.Column("not_applicable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detector_runs")),
    )
    with op.batch_alter_table("detector_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detector_runs_detector_id"), ["detector", "id"])
    coverage = sa.table(
        "detector_coverage",
        sa.column("detector", sa.String),
        sa.column("method_version", sa.String),
        sa.column("state", sa.String),
        sa.column("checked_at", registry.db.UTCDateTime(timezone=True)),
    )

    def count(state: str) -> sa.ColumnElement[int]:
        return sa.func.count(sa.case((coverage.c.state == state, 1)))

    op.execute(
        runs.insert().from_select(
            ["detector", "method_version", "run_at", "flagged", "checked", "not_applicable"],
            sa.select(
                coverage.c.detector,
                sa.func.max(coverage.c.method_version),
                sa.func.max(coverage.c.checked_at),
                count("flagged"),
                count("checked"),
                count("not applicable"),
            ).group_by(coverage.c.detector),
        )
    )
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.alter_column(
            "checked_at",
            new_column_name="changed_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=False,
            comment="when the run that last changed the row's state, reason, label or method ran",
        )


def downgrade() -> None:
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.alter_column(
            "changed_at",
            new_column_name="checked_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=False,
            comment=None,
        )
    with op.batch_alter_table("detector_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detector_runs_detector_id"))
    op.drop_table("detector_runs")
