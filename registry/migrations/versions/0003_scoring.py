"""KPI assessments, reviews, replies, scores, breaches, remediation and exclusions (issue 4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the scoring feature: its tables are created here, and nowhere else.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False, comment="the exclusion ground"),
        sa.Column(
            "kind",
            sa.Enum(
                "mandatory", "discretionary", name="exclusionkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("expected_end_date", sa.Date(), nullable=False, comment="at most five years on"),
        sa.Column(
            "publication",
            sa.Enum("draft", "published", name="publication", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "illustrative",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="invented or generated for illustration, not an official record",
        ),
        sa.Column("retracted_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_exclusions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"], ["users.id"], name=op.f("fk_exclusions_retracted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_exclusions_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
    )
    op.create_index(op.f("ix_exclusions_supplier_id"), "exclusions", ["supplier_id"], unique=False)
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=True, comment="null: overall"),
        sa.Column(
            "period", sa.String(length=20), nullable=False, comment="e.g. 2024, or the as-of date"
        ),
        sa.Column("period_end", sa.Date(), nullable=False, comment="the as-of date of the score"),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("band_low", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("band_high", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("assessments_count", sa.Integer(), nullable=False),
        sa.Column(
            "inputs", sa.JSON(), nullable=False, comment="the aggregates and parameters used"
        ),
        sa.Column("breakdown", sa.Text(), nullable=False, comment="the calculation, in words"),
        sa.Column("computed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_scores_framework_id_frameworks")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_scores_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
    )
    op.create_index(op.f("ix_scores_framework_id"), "scores", ["framework_id"], unique=False)
    op.create_index(
        op.f("ix_scores_supplier_id_current_period_end"),
        "scores",
        ["supplier_id", "current", "period_end"],
        unique=False,
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column(
            "framework_id",
            sa.Integer(),
            nullable=True,
            comment="the contract's or obligation's framework",
        ),
        sa.Column(
            "buyer_id",
            sa.Integer(),
            nullable=True,
            comment="the contract's buyer, whose officers write it",
        ),
        sa.Column("kpi", sa.String(length=300), nullable=False, comment="the KPI's name"),
        sa.Column(
            "kpi_key",
            sa.String(length=340),
            nullable=False,
            comment="what 'the same KPI' means when periods must not overlap",
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column(
            "period_end_day",
            sa.Integer(),
            nullable=False,
            comment="period_end as a day number (date.toordinal), for portable recency arithmetic",
        ),
        sa.Column(
            "rating",
            sa.Enum(
                "Good",
                "Approaching target",
                "Requires improvement",
                "Inadequate",
                "Other",
                name="rating",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "original_rating",
            sa.Enum(
                "Good",
                "Approaching target",
                "Requires improvement",
                "Inadequate",
                "Other",
                name="rating",
                native_enum=False,
                length=32,
            ),
            nullable=True,
            comment="the assessor's rating when an auditor adjusted it",
        ),
        sa.Column("measured_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column(
            "weight",
            sa.Numeric(precision=8, scale=3),
            nullable=False,
            comment="the KPI's or obligation's weight",
        ),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_links", sa.JSON(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("assessor_name", sa.String(length=320), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "challenged",
                "approved",
                "adjusted",
                "published",
                "retracted",
                name="assessmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "reply_due", sa.Date(), nullable=True, comment="the last day the supplier may reply"
        ),
        sa.Column("reviewed_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("published_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="optimistic lock: bumped on each write"
        ),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "illustrative",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="invented or generated for illustration, not an official record",
        ),
        sa.Column("retracted_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "contract_id IS NOT NULL OR obligation_id IS NOT NULL",
            name=op.f("ck_assessments_has_subject"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_assessments_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["users.id"], name=op.f("fk_assessments_assessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_assessments_buyer_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_assessments_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_assessments_framework_id_frameworks")
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_assessments_obligation_id_obligations"),
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"], ["users.id"], name=op.f("fk_assessments_retracted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_assessments_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_assessments_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_buyer_id"), "assessments", ["buyer_id"], unique=False)
    op.create_index(
        op.f("ix_assessments_contract_id"), "assessments", ["contract_id"], unique=False
    )
    op.create_index(
        op.f("ix_assessments_kpi_key_period_start"),
        "assessments",
        ["kpi_key", "period_start"],
        unique=False,
    )
    op.create_index(
        op.f("ix_assessments_status_supplier_id_framework_id"),
        "assessments",
        ["status", "supplier_id", "framework_id"],
        unique=False,
    )
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "breach notice",
                "termination notice",
                name="breachkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("framework_id", sa.Integer(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("notice_due", sa.Date(), nullable=False, comment="30 days after the breach"),
        sa.Column("notice_published_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "publication",
            sa.Enum("draft", "published", name="publication", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "illustrative",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="invented or generated for illustration, not an official record",
        ),
        sa.Column("retracted_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_breaches_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_breaches_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_breaches_framework_id_frameworks")
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"], ["users.id"], name=op.f("fk_breaches_retracted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_breaches_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )
    op.create_index(op.f("ix_breaches_supplier_id"), "breaches", ["supplier_id"], unique=False)
    op.create_table(
        "remediation_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("gap", sa.Text(), nullable=False, comment="what is unmet, and by how much"),
        sa.Column("agreed_date", sa.Date(), nullable=False, comment="when the gap is to be closed"),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "completed",
                "abandoned",
                name="remediationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column(
            "publication",
            sa.Enum("draft", "published", name="publication", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "illustrative",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="invented or generated for illustration, not an official record",
        ),
        sa.Column("retracted_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_remediation_plans_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_remediation_plans_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_remediation_plans_obligation_id_obligations"),
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_remediation_plans_retracted_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_remediation_plans_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_plans")),
    )
    op.create_index(
        op.f("ix_remediation_plans_supplier_id"), "remediation_plans", ["supplier_id"], unique=False
    )
    op.create_table(
        "assessment_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "illustrative",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="invented or generated for illustration, not an official record",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_replies_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_assessment_replies_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_assessment_replies_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_replies")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_assessment_replies_assessment_id")),
    )
    op.create_index(
        op.f("ix_assessment_replies_supplier_id"),
        "assessment_replies",
        ["supplier_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assessment_replies_supplier_id"), table_name="assessment_replies")
    op.drop_table("assessment_replies")
    op.drop_index(op.f("ix_remediation_plans_supplier_id"), table_name="remediation_plans")
    op.drop_table("remediation_plans")
    op.drop_index(op.f("ix_breaches_supplier_id"), table_name="breaches")
    op.drop_table("breaches")
    op.drop_index(op.f("ix_assessments_status_supplier_id_framework_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_kpi_key_period_start"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_contract_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_buyer_id"), table_name="assessments")
    op.drop_table("assessments")
    op.drop_index(op.f("ix_scores_supplier_id_current_period_end"), table_name="scores")
    op.drop_index(op.f("ix_scores_framework_id"), table_name="scores")
    op.drop_table("scores")
    op.drop_index(op.f("ix_exclusions_supplier_id"), table_name="exclusions")
    op.drop_table("exclusions")
