"""lifecycles, aliases and change tracking

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:00:38.826046

Issue 19: a lot says whether its recorded membership list is complete (only then can a lot be
judged closed), and a contract recorded against an expired framework or lot, or a supplier in
remediation, keeps the reason it was overridden. Issue 18: a buyer's other names (HMRC) for search.
Issue 21: a data version for public pages' ETags, and a change log with each job's mark so
detection and scoring redo only what changed.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=24),
            nullable=False,
            comment="what was touched: market, buyer, supplier_group, framework, …",
        ),
        sa.Column(
            "subject",
            sa.String(length=100),
            nullable=False,
            comment="its key: a record id, or a market key such as cpv-48",
        ),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False, comment="always 1: one row"),
        sa.Column(
            "version", sa.BigInteger(), nullable=False, comment="moves on every committed write"
        ),
        sa.Column("changed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.create_table(
        "work_marks",
        sa.Column("name", sa.String(length=32), nullable=False, comment="the job: detect, score"),
        sa.Column(
            "last_change_id",
            sa.BigInteger(),
            nullable=False,
            comment="the last change_log id the job has taken into account",
        ),
        sa.Column("finished_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_work_marks")),
    )
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "also_known_as",
                sa.Text(),
                nullable=True,
                comment="other names and abbreviations people search by (e.g. HMRC), one per line",
            )
        )

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "lifecycle_override",
                sa.Text(),
                nullable=True,
                comment="why it was recorded though its framework, lot or supplier's standing said no",
            )
        )

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "membership_complete",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="the recorded membership list is the lot's whole list",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("membership_complete")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("lifecycle_override")

    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_column("also_known_as")

    op.drop_table("work_marks")
    op.drop_table("data_version")
    op.drop_table("change_log")
