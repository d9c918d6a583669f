"""markets and lock-in flags (issue 5)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the flags feature: its tables are created here, and nowhere else.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False, comment="the detector's id"),
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
            comment="stable key of the subject, e.g. cpv-48814 or 12 (a contract id)",
        ),
        sa.Column(
            "subject_label",
            sa.String(length=500),
            nullable=False,
            comment="the subject as people say it",
        ),
        sa.Column(
            "severity",
            sa.Enum("low", "medium", "high", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "acknowledged",
                "resolved",
                "dismissed",
                name="flagstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "metrics", sa.JSON(), nullable=False, comment="the numbers that triggered the flag"
        ),
        sa.Column(
            "rule", sa.Text(), nullable=False, comment="the rule, with its thresholds, when raised"
        ),
        sa.Column("thresholds", sa.JSON(), nullable=False, comment="the thresholds in force"),
        sa.Column(
            "source", sa.Text(), nullable=False, comment="the published rule the detector follows"
        ),
        sa.Column("first_detected", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_detected", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "resolved_by_detector",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="resolved because the pattern was gone: reopened if it comes back",
        ),
        sa.Column("market_key", sa.String(length=40), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("framework_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyers.id"], name=op.f("fk_flags_buyer_id_buyers")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_flags_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["frameworks.id"], name=op.f("fk_flags_framework_id_frameworks")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["supplier_groups.id"], name=op.f("fk_flags_group_id_supplier_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint(
            "detector",
            "subject_type",
            "subject_key",
            name=op.f("uq_flags_detector_subject_type_subject_key"),
        ),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flags_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_detector"), ["detector"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_framework_id"), ["framework_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_market_key"), ["market_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_severity"), ["severity"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_status"), ["status"], unique=False)

    op.create_table(
        "flag_groups",
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flags.id"], name=op.f("fk_flag_groups_flag_id_flags")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["supplier_groups.id"],
            name=op.f("fk_flag_groups_group_id_supplier_groups"),
        ),
        sa.PrimaryKeyConstraint("flag_id", "group_id", name=op.f("pk_flag_groups")),
    )
    with op.batch_alter_table("flag_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_groups_group_id"), ["group_id"], unique=False)

    op.create_table(
        "flag_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "open",
                "acknowledged",
                "resolved",
                "dismissed",
                name="flagstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "open",
                "acknowledged",
                "resolved",
                "dismissed",
                name="flagstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("changed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_id", sa.Integer(), nullable=True, comment="null when the detector changed it"
        ),
        sa.Column(
            "actor_label", sa.String(length=320), nullable=False, comment="e-mail, or 'detector'"
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_flag_status_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flags.id"], name=op.f("fk_flag_status_changes_flag_id_flags")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_status_changes")),
    )
    with op.batch_alter_table("flag_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flag_status_changes_flag_id"), ["flag_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("flag_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_status_changes_flag_id"))

    op.drop_table("flag_status_changes")
    with op.batch_alter_table("flag_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_groups_group_id"))

    op.drop_table("flag_groups")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flags_status"))
        batch_op.drop_index(batch_op.f("ix_flags_severity"))
        batch_op.drop_index(batch_op.f("ix_flags_market_key"))
        batch_op.drop_index(batch_op.f("ix_flags_group_id"))
        batch_op.drop_index(batch_op.f("ix_flags_framework_id"))
        batch_op.drop_index(batch_op.f("ix_flags_detector"))
        batch_op.drop_index(batch_op.f("ix_flags_contract_id"))
        batch_op.drop_index(batch_op.f("ix_flags_buyer_id"))

    op.drop_table("flags")
