"""work fingerprints

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 14:10:00.000000

Issue 21: what `registry detect` last saw of each market, buyer, supplier group, framework and
table (counts and weighted sums of their rows), so a run after a day's changes redoes only the
work whose inputs differ, and a run after none does nothing.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_fingerprints",
        sa.Column("job", sa.String(length=32), nullable=False, comment="detect, score"),
        sa.Column(
            "kind",
            sa.String(length=24),
            nullable=False,
            comment="market, buyer, group, framework, table, settings",
        ),
        sa.Column(
            "subject",
            sa.String(length=100),
            nullable=False,
            comment="its key: a record id, market key or table name",
        ),
        sa.Column(
            "fingerprint",
            sa.String(length=200),
            nullable=False,
            comment="counts and weighted sums of its rows' values, as text",
        ),
        sa.PrimaryKeyConstraint("job", "kind", "subject", name=op.f("pk_work_fingerprints")),
    )


def downgrade() -> None:
    op.drop_table("work_fingerprints")
