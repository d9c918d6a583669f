"""stored market figures, and covering indexes for the supplier and framework pages (issue 8)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

A market page worked out its market's figures from the contracts on every first sight, seconds
for a national market. `registry detect` now stores every market's figures at once
(registry/markets/figures.py); the page reads them, with when and by which method version they
were computed. The tables start empty: until detection runs, the pages work the figures out live.

The supplier page's pass over a supplier's contracts (by buyer type, with the data-use counts)
reads a covering index instead of thousands of contract rows; so does the framework page's
call-off spend per lot.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_figures",
        sa.Column("market_key", sa.String(length=20), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column(
            "valued_contracts", sa.Integer(), nullable=False, comment="with a value in pounds"
        ),
        sa.Column(
            "groups",
            sa.Integer(),
            nullable=False,
            comment="supplier groups with a published contract",
        ),
        sa.Column("value_total", sa.Float(), nullable=False, comment="pounds"),
        sa.Column(
            "buyers_total", sa.Integer(), nullable=False, comment="the sum of every group's buyers"
        ),
        sa.Column("buyers_hhi", sa.Float(), nullable=False),
        sa.Column("buyers_cr1", sa.Float(), nullable=False),
        sa.Column("buyers_cr2", sa.Float(), nullable=False),
        sa.Column("buyers_cr4", sa.Float(), nullable=False),
        sa.Column(
            "value_groups",
            sa.Integer(),
            nullable=False,
            comment="groups with a positive value in pounds",
        ),
        sa.Column("value_hhi", sa.Float(), nullable=False),
        sa.Column("value_cr1", sa.Float(), nullable=False),
        sa.Column("value_cr2", sa.Float(), nullable=False),
        sa.Column("value_cr4", sa.Float(), nullable=False),
        sa.Column("no_value", sa.Integer(), nullable=False),
        sa.Column("other_currency", sa.Integer(), nullable=False),
        sa.Column(
            "ceiling_only",
            sa.Integer(),
            nullable=False,
            comment="framework agreements: a ceiling, no value",
        ),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("computed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("market_key", name=op.f("pk_market_figures")),
    )
    op.create_table(
        "market_group_figures",
        sa.Column("market_key", sa.String(length=20), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column(
            "rank",
            sa.Integer(),
            nullable=False,
            comment="the page's order: most buyers, then most value",
        ),
        sa.Column(
            "buyer_rank", sa.Integer(), nullable=False, comment="order of the shares by buyers"
        ),
        sa.Column(
            "value_rank", sa.Integer(), nullable=False, comment="order of the shares by value"
        ),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("valued_contracts", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False, comment="pounds"),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("buyer_share", sa.Float(), nullable=False),
        sa.Column("value_share", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("market_key", "group_id", name=op.f("pk_market_group_figures")),
    )
    op.create_index(
        op.f("ix_market_group_figures_market_key_rank"),
        "market_group_figures",
        ["market_key", "rank"],
        unique=False,
    )
    op.create_table(
        "market_year_figures",
        sa.Column("market_key", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("valued_contracts", sa.Integer(), nullable=False),
        sa.Column("buyers_groups", sa.Integer(), nullable=False),
        sa.Column("buyers_hhi", sa.Float(), nullable=False),
        sa.Column("buyers_cr1", sa.Float(), nullable=False),
        sa.Column("buyers_cr2", sa.Float(), nullable=False),
        sa.Column("buyers_cr4", sa.Float(), nullable=False),
        sa.Column("value_groups", sa.Integer(), nullable=False),
        sa.Column("value_hhi", sa.Float(), nullable=False),
        sa.Column("value_cr1", sa.Float(), nullable=False),
        sa.Column("value_cr2", sa.Float(), nullable=False),
        sa.Column("value_cr4", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("market_key", "year", name=op.f("pk_market_year_figures")),
    )

    op.create_index(
        "ix_contracts_supplier_figures",
        "contracts",
        [
            "supplier_id",
            "buyer_id",
            "currency",
            "value_amount",
            "ceiling_amount",
            "publication",
            "retracted_at",
        ],
        unique=False,
    )
    op.create_index(
        "ix_contracts_lot_figures",
        "contracts",
        ["lot_id", "currency", "value_amount", "publication", "retracted_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contracts_lot_figures", table_name="contracts")
    op.drop_index("ix_contracts_supplier_figures", table_name="contracts")
    op.drop_table("market_year_figures")
    op.drop_index(
        op.f("ix_market_group_figures_market_key_rank"), table_name="market_group_figures"
    )
    op.drop_table("market_group_figures")
    op.drop_table("market_figures")
