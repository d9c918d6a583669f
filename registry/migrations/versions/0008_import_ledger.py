"""open data: the import ledger (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the opendata feature: its tables are created here, and nowhere else.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False, comment="'ocds', or 'csv <kind>'"),
        sa.Column("source", sa.String(length=300), nullable=False, comment="the file's name"),
        sa.Column(
            "via", sa.String(length=40), nullable=False, comment="'command line' or 'upload'"
        ),
        sa.Column(
            "publisher",
            sa.String(length=300),
            nullable=True,
            comment="the package publisher's name, when the file names one",
        ),
        sa.Column(
            "source_key",
            sa.String(length=300),
            nullable=False,
            comment="the ledger groups by it: the publisher, else the file name",
        ),
        sa.Column("file_sha256", sa.String(length=64), nullable=True, comment="sha256 of the file"),
        sa.Column("file_bytes", sa.BigInteger(), nullable=True, comment="the file's size"),
        sa.Column("started_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("imported", "refused", name="importoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("releases_read", sa.Integer(), nullable=False, comment="releases (or rows) read"),
        sa.Column("records_created", sa.Integer(), nullable=False, comment="records created"),
        sa.Column("records_updated", sa.Integer(), nullable=False, comment="records updated"),
        sa.Column(
            "unchanged",
            sa.Integer(),
            nullable=False,
            comment="releases identical to ones imported before",
        ),
        sa.Column("skipped", sa.Integer(), nullable=False, comment="releases not taken in"),
        sa.Column(
            "duplicates", sa.Integer(), nullable=False, comment="releases repeated in the file"
        ),
        sa.Column(
            "out_of_order",
            sa.Integer(),
            nullable=False,
            comment="releases older than one already held for their ocid",
        ),
        sa.Column(
            "missing",
            sa.Integer(),
            nullable=False,
            comment="ocids earlier imports of this file from this publisher held, absent now",
        ),
        sa.Column(
            "details",
            sa.JSON(),
            nullable=False,
            comment="reasons with examples, missing ocids, problems of a refused file",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_runs_source_key"), ["source_key"], unique=False)

    op.create_table(
        "import_run_ocids",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ocid", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["import_runs.id"], name=op.f("fk_import_run_ocids_run_id_import_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "ocid", name=op.f("pk_import_run_ocids")),
    )
    with op.batch_alter_table("import_run_ocids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_run_ocids_ocid"), ["ocid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_run_ocids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_ocids_ocid"))

    op.drop_table("import_run_ocids")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_source_key"))

    op.drop_table("import_runs")
