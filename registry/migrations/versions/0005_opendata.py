"""open data import and export (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the opendata feature: its tables are created here, and nowhere else.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ocid", sa.String(length=200), nullable=False, comment="OCDS ocid"),
        sa.Column("release_id", sa.String(length=200), nullable=False, comment="OCDS release id"),
        sa.Column(
            "release_date",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="the release's date",
        ),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="sha256 of the release's canonical JSON",
        ),
        sa.Column(
            "source_file", sa.String(length=300), nullable=False, comment="the file it came from"
        ),
        sa.Column(
            "outcome",
            sa.String(length=200),
            nullable=False,
            comment="'imported', or why it was skipped",
        ),
        sa.Column(
            "batch", sa.String(length=32), nullable=False, comment="the import run that wrote it"
        ),
        sa.Column("imported_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_releases")),
        sa.UniqueConstraint(
            "ocid", "release_id", name=op.f("uq_imported_releases_ocid_release_id")
        ),
    )
    with op.batch_alter_table("imported_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_releases_ocid"), ["ocid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imported_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_releases_ocid"))
    op.drop_table("imported_releases")
