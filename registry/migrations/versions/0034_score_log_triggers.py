"""score log: triggers on assessments and contracts name what to rescore (issue 21)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to incremental scoring (registry/changes/rated.py). `registry score` found
the suppliers and frameworks whose assessments changed by fingerprinting every assessment on
every run (one pass over the table, about 10 s at 1,000,000 assessments even when nothing had
changed). The database now names them itself, in `score_log`, a log of its own (detect takes and
deletes every row of `change_log`; neither job must take the other's): an assessment inserted or
deleted, or updated in what the scores read of it (supplier, framework, rating, weight, period,
status, retraction, contract), logs its supplier and framework, before and after; a contract
whose publication changed logs those of its assessments (only a published contract's count).
Row triggers on SQLite, which log a subject only if the log does not hold it yet (so a bulk
load leaves a row per supplier, not per assessment; safe as SQLite has one writer at a time);
statement triggers reading the transition tables on PostgreSQL, which log each statement's
subjects once and never test the log (a row a scoring run is deleting, not yet committed, would
look present and the change would be lost; and with no unique key, concurrent writers never wait
on one another's log rows). No table is recreated, so the triggers of 0016 and 0033 stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

NO_FRAMEWORK = -1  # registry.scoring.scores.sql.NO_FRAMEWORK: assessments on no framework
# What the scores read of an assessment (registry.scoring.scores.incremental.READ), its
# retraction and its contract (whose publication counts).
READ = (
    "supplier_id",
    "framework_id",
    "rating",
    "weight",
    "period_end_day",
    "status",
    "retracted_at",
    "contract_id",
)
# (trigger name, table, event): the same names on both engines.
TRIGGERS = (
    ("score_log_assessments_inserted", "assessments", "INSERT"),
    ("score_log_assessments_updated", "assessments", "UPDATE"),
    ("score_log_assessments_deleted", "assessments", "DELETE"),
    ("score_log_contracts_published", "contracts", "UPDATE"),
)


def _subjects(row: str, source: str = "") -> list[str]:
    """(kind, subject) selects of an assessment's supplier and framework, `row` its alias."""
    return [
        f"SELECT 'supplier' AS k, {row}.supplier_id AS s{source}",
        f"SELECT 'framework', COALESCE({row}.framework_id, {NO_FRAMEWORK}){source}",
    ]


def _log(selects: list[str], new_only: bool) -> str:
    """Log the subjects the selects give (`new_only`: those the log does not hold). A row
    trigger's few subjects are not deduplicated (a row updated in place gives its supplier
    twice, which taking the log deduplicates): UNION would sort them for every row."""
    union = (" UNION ALL " if new_only else " UNION ").join(selects)
    sql = f"INSERT INTO score_log (kind, subject) SELECT k, s FROM ({union}) AS changed"
    if new_only:
        sql += (
            " WHERE NOT EXISTS (SELECT 1 FROM score_log l WHERE l.kind = changed.k"
            " AND l.subject = changed.s)"
        )
    return sql


def _sqlite() -> None:
    moved = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in READ)
    bodies = {
        "score_log_assessments_inserted": ("AFTER INSERT ON assessments", _subjects("NEW")),
        "score_log_assessments_updated": (
            f"AFTER UPDATE OF {', '.join(READ)} ON assessments WHEN {moved}",
            [*_subjects("OLD"), *_subjects("NEW")],
        ),
        "score_log_assessments_deleted": ("AFTER DELETE ON assessments", _subjects("OLD")),
        "score_log_contracts_published": (
            "AFTER UPDATE OF publication ON contracts WHEN OLD.publication IS NOT NEW.publication",
            _subjects("a", " FROM assessments a WHERE a.contract_id = NEW.id"),
        ),
    }
    for name, (event, selects) in bodies.items():
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {_log(selects, True)}; END")


def _postgresql() -> None:
    moved = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in READ)
    pairs = f" FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved}"
    bodies = {
        "score_log_assessments_inserted": (
            "assessments",
            "INSERT",
            "NEW TABLE AS new_rows",
            _subjects("n", " FROM new_rows n"),
        ),
        "score_log_assessments_updated": (
            "assessments",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            [*_subjects("o", pairs), *_subjects("n", pairs)],
        ),
        "score_log_assessments_deleted": (
            "assessments",
            "DELETE",
            "OLD TABLE AS old_rows",
            _subjects("o", " FROM old_rows o"),
        ),
        "score_log_contracts_published": (
            "contracts",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _subjects(
                "a",
                " FROM old_rows o JOIN new_rows n ON n.id = o.id"
                " JOIN assessments a ON a.contract_id = n.id"
                " WHERE o.publication IS DISTINCT FROM n.publication",
            ),
        ),
    }
    for name, (table, event, referencing, selects) in bodies.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_log(selects, False)}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def upgrade() -> None:
    op.create_table(
        "score_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False, comment="supplier or framework"),
        sa.Column(
            "subject",
            sa.Integer(),
            nullable=False,
            comment="its id (a framework's -1: assessments on no framework)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_log")),
    )
    op.create_index(op.f("ix_score_log_kind_subject"), "score_log", ["kind", "subject"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, _event in TRIGGERS:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_score_log_kind_subject"), table_name="score_log")
    op.drop_table("score_log")
