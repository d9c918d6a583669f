"""search vectors: trigger functions that plan each call and fetch records by primary key (issue 8)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the search feature. The first trigger functions of revision 0016 kept
plans made while the tables were small, so inside a bulk load (`registry seed`, an import) every
statement scanned the whole table it had just grown: seeding took twice as long on PostgreSQL,
and 100,000 search records took five minutes to insert. Revision 0016 now defines them
correctly; this revision replaces them in databases that ran the first version. PostgreSQL only,
as in 0016: SQLite has no triggers here.
"""

from alembic import context, op
from alembic.script import ScriptDirectory

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    search_vectors = ScriptDirectory.from_config(context.config).get_revision("0016")
    assert search_vectors is not None
    search_vectors.module.create_functions()


def downgrade() -> None:
    # The first definitions were slower, not different in what they store: nothing to undo.
    pass
