"""scores keep their aggregates; inputs and breakdown are derived from them (issue 8)

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the scoring feature. `registry score` now writes every score with one
INSERT ... SELECT per period: the aggregates the method used are stored as numbers, and the
inputs object and the breakdown in words are derived from them when read (by the same method
code), so `inputs` and `breakdown` hold only the rows written before this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

AGGREGATES = {
    "weight": "sum of weight * recency of the assessments counted",
    "weighted_points": "sum of weight * recency * points",
    "weighted_points_sq": "sum of weight * recency * points squared",
    "prior_mean": "the framework mean (or the mean of all suppliers) shrunk toward",
}
RATINGS = {
    "good_count": "assessments counted rated Good",
    "approaching_count": "assessments counted rated Approaching target",
    "requires_improvement_count": "assessments counted rated Requires improvement",
    "inadequate_count": "assessments counted rated Inadequate",
}


def upgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        for name, comment in AGGREGATES.items():
            batch_op.add_column(sa.Column(name, sa.Double(), nullable=True, comment=comment))
        for name, comment in RATINGS.items():
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True, comment=comment))
        for name, kind, was in [
            ("inputs", sa.JSON(), "the aggregates and parameters used"),
            ("breakdown", sa.Text(), "the calculation, in words"),
        ]:
            batch_op.alter_column(
                name,
                existing_type=kind,
                nullable=True,
                existing_comment=was,
                comment="as computed before 0012; later rows derive it from the aggregates",
            )


def downgrade() -> None:
    # Derived rows have no stored text: a downgrade would need `registry score` run again.
    with op.batch_alter_table("scores", schema=None) as batch_op:
        for name in [*RATINGS, *AGGREGATES]:
            batch_op.drop_column(name)
