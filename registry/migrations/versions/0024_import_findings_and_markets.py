"""import findings, transparency indicators, classifications, market currency

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 10:05:33.154293

Issue 17: real publications imported as they are. An import records each deviation from the
OCDS schema as a finding (import_findings) and counts, per run, how many releases state what a
reader needs (the transparency indicators on import_runs). Contracts classified in a scheme other
than CPV (UNSPSC, a national catalogue, a description) now keep it (classifications), so they form
markets too; the publisher's own words for the procurement method are kept beside the mapped
method; and a market's stored figures say which currency its value shares are in.

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "scheme",
            sa.String(length=100),
            nullable=False,
            comment="as published (UNSPSC, a national scheme); '' for a description",
        ),
        sa.Column(
            "code",
            sa.String(length=100),
            nullable=False,
            comment="the market's code in the scheme, or the normalised description",
        ),
        sa.Column("label", sa.String(length=300), nullable=False, comment="what a reader sees"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifications")),
        sa.UniqueConstraint("scheme", "code", name=op.f("uq_classifications_scheme_code")),
    )
    op.create_table(
        "import_findings",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example", sa.String(length=300), nullable=False, comment="a value found"),
        sa.Column(
            "example_where",
            sa.String(length=300),
            nullable=False,
            comment="one place it was found: JSON path and ocid",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["import_runs.id"], name=op.f("fk_import_findings_run_id_import_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "rule", "path", name=op.f("pk_import_findings")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "procurement_method_details",
                sa.String(length=300),
                nullable=True,
                comment="the publisher's own words for the method, as published",
            )
        )
        batch_op.add_column(
            sa.Column(
                "classification_id", sa.Integer(), nullable=True, comment="a non-CPV classification"
            )
        )
        batch_op.create_index(
            batch_op.f("ix_contracts_classification_id"), ["classification_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_contracts_classification_id_classifications"),
            "classifications",
            ["classification_id"],
            ["id"],
        )

    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "with_classification",
                sa.Integer(),
                nullable=True,
                comment="releases whose tender or items carry a classification",
            )
        )
        batch_op.add_column(
            sa.Column(
                "with_value",
                sa.Integer(),
                nullable=True,
                comment="releases with a usable award, contract or tender value",
            )
        )
        batch_op.add_column(
            sa.Column(
                "with_suppliers",
                sa.Integer(),
                nullable=True,
                comment="releases naming at least one supplier (the next one's base)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "with_supplier_identifier",
                sa.Integer(),
                nullable=True,
                comment="releases whose every named supplier has an identifier",
            )
        )
        batch_op.add_column(
            sa.Column(
                "with_procurement_method",
                sa.Integer(),
                nullable=True,
                comment="releases stating tender.procurementMethod",
            )
        )
        batch_op.add_column(
            sa.Column(
                "with_tender_period",
                sa.Integer(),
                nullable=True,
                comment="releases with a tender period",
            )
        )

    with op.batch_alter_table("market_figures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "currency",
                sa.String(length=3),
                nullable=True,
                comment="ISO 4217: the one currency the value shares are computed in",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("market_figures", schema=None) as batch_op:
        batch_op.drop_column("currency")

    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_column("with_tender_period")
        batch_op.drop_column("with_procurement_method")
        batch_op.drop_column("with_supplier_identifier")
        batch_op.drop_column("with_suppliers")
        batch_op.drop_column("with_value")
        batch_op.drop_column("with_classification")

    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_contracts_classification_id_classifications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_contracts_classification_id"))
        batch_op.drop_column("classification_id")
        batch_op.drop_column("procurement_method_details")

    op.drop_table("import_findings")
    op.drop_table("classifications")
