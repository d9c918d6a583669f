"""search and the JSON API: API tokens (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the api feature: its tables are created here, and nowhere else.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import registry.db  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
