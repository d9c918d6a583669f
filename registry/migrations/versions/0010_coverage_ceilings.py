"""coverage and framework money: detector coverage, framework/lot/contract ceilings (issue 11)

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-27

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the flags feature (detector_coverage) and the frameworks and contracts
features (ceilings, kept apart from call-off values).
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

CEILING_TABLES = {
    "frameworks": "estimated or maximum value of all call-offs; not spend",
    "lots": "estimated or maximum value of the lot's call-offs; not spend",
    "contracts": "a framework agreement's ceiling (OCDS award value); not spend",
}


def upgrade() -> None:
    op.create_table(
        "detector_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False, comment="the detector's id"),
        sa.Column(
            "method_version",
            sa.String(length=20),
            nullable=False,
            comment="the detector's method version in the run that wrote the row",
        ),
        sa.Column(
            "subject_type",
            sa.Enum(
                "market",
                "buyer-supplier",
                "supplier group",
                "framework",
                "contract",
                name="subjecttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "subject_key",
            sa.String(length=200),
            nullable=False,
            comment="as on flags.subject_key",
        ),
        sa.Column("subject_label", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "flagged",
                "checked",
                "not applicable",
                name="coveragestate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=True,
            comment="why not applicable, or what could not be checked",
        ),
        sa.Column("checked_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detector_coverage")),
        sa.UniqueConstraint(
            "detector",
            "subject_type",
            "subject_key",
            name=op.f("uq_detector_coverage_detector_subject_type_subject_key"),
        ),
    )
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detector_coverage_state"), ["state"], unique=False)
    for table, comment in CEILING_TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("ceiling_amount", sa.Numeric(18, 2), nullable=True, comment=comment)
            )
            batch_op.add_column(
                sa.Column(
                    "ceiling_currency", sa.String(length=3), nullable=True, comment="ISO 4217"
                )
            )


def downgrade() -> None:
    for table in CEILING_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ceiling_currency")
            batch_op.drop_column("ceiling_amount")
    with op.batch_alter_table("detector_coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detector_coverage_state"))
    op.drop_table("detector_coverage")
