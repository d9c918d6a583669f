"""record totals

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

Issue 21: the suppliers and buyers lists and the buyer and supplier pages' counts of ratings read
one stored row per record (published contracts and their value, published ratings by the
Procurement Act scale), refreshed where the record figures are and by `registry score`, so
those pages no longer add up every contract or assessment; and the supplier page finds its
group's stored market figures by an index on the group.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TOTALS = {"supplier_totals": "supplier_id", "buyer_totals": "buyer_id"}


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("contracts", sa.Integer(), nullable=False, comment="published contracts"),
        sa.Column(
            "value",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="their value in any currency, summed, as the list pages show it",
        ),
        *(
            sa.Column(f"ratings_{rating}", sa.Integer(), nullable=False)
            for rating in ("good", "approaching", "requires_improvement", "inadequate", "other")
        ),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("computed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    for table, key in TOTALS.items():
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), autoincrement=False, nullable=False),
            *_columns(),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_value"), ["value"], unique=False)
    with op.batch_alter_table("market_group_figures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_market_group_figures_group_id_buyers"),
            ["group_id", "buyers"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("market_group_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_group_figures_group_id_buyers"))
    for table in TOTALS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_value"))
        op.drop_table(table)
