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

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import registry.db  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
