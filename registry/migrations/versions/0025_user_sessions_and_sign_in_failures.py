"""user sessions and sign-in failures

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 11:19:24.419698

Issue 20: sessions that can be ended. A signed-in session is a row (user_sessions) found by the
SHA-256 of the cookie's random token; signing out and a password, role or status change end them
all. Failed sign-ins are counted per client and per account (sign_in_failures), so a stranger's
wrong passwords no longer lock the real user out.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False, comment="as typed, normalised"),
        sa.Column("client", sa.String(length=64), nullable=False, comment="the remote address"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sign_in_failures_client_created", ["client", "created"], unique=False
        )
        batch_op.create_index(
            "ix_sign_in_failures_email_created", ["email", "created"], unique=False
        )

    op.create_table(
        "user_sessions",
        sa.Column(
            "id",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 (hex) of the cookie's random token",
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "expires",
            registry.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="idle timeout from last_seen, never past the absolute limit from created",
        ),
        sa.Column(
            "revoked_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="signed out, or ended by a password, role or status change",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))

    op.drop_table("user_sessions")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_failures_email_created")
        batch_op.drop_index("ix_sign_in_failures_client_created")

    op.drop_table("sign_in_failures")
