"""record figures

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 16:29:24.664327

Issue 21: the supplier, buyer and framework pages' figures of published contracts (by buyer type,
by buyer and supplier, by lot), stored by `registry detect` and by the transaction of a web write
that touches them, so those pages read a few stored rows rather than every contract.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer_supplier_figures",
        sa.Column("buyer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("supplier_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "amount",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="the value in any currency, summed",
        ),
        sa.Column("contracts", sa.Integer(), nullable=False, comment="published contracts"),
        sa.Column("valued", sa.Integer(), nullable=False, comment="with a value in pounds"),
        sa.Column(
            "value",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="their value in pounds",
        ),
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
        sa.PrimaryKeyConstraint("buyer_id", "supplier_id", name=op.f("pk_buyer_supplier_figures")),
    )
    op.create_table(
        "lot_figures",
        sa.Column("lot_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False, comment="published call-offs"),
        sa.Column("valued", sa.Integer(), nullable=False, comment="with a value in pounds"),
        sa.Column(
            "spend",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="their value in pounds",
        ),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("computed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_lot_figures")),
    )
    op.create_table(
        "supplier_figures",
        sa.Column("supplier_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "position",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="the page's order: most value first",
        ),
        sa.Column("buyer_type", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True, comment="ISO 4217"),
        sa.Column(
            "amount",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="the value in that currency",
        ),
        sa.Column("contracts", sa.Integer(), nullable=False, comment="published contracts"),
        sa.Column("valued", sa.Integer(), nullable=False, comment="with a value in pounds"),
        sa.Column(
            "value",
            sa.Numeric(precision=20, scale=2),
            nullable=False,
            comment="their value in pounds",
        ),
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
        sa.PrimaryKeyConstraint("supplier_id", "position", name=op.f("pk_supplier_figures")),
    )


def downgrade() -> None:
    op.drop_table("supplier_figures")
    op.drop_table("lot_figures")
    op.drop_table("buyer_supplier_figures")
