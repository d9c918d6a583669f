"""change log: triggers on contracts, suppliers and lots write what changed (issue 21)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to incremental detection (registry/changes/logged.py). `registry detect`
found the contracts that changed by fingerprinting every contract on every run (one pass over
the national table, about 30 s at 1,000,000 contracts). The database now names them itself:
triggers, which no writer can forget (the ORM, bulk inserts, COPY and hand-written SQL alike),
append to `change_log` the contract inserted, updated or deleted and, for a change, the buyer,
supplier group, CPV code, classification and lot it had before (its markets and subjects then;
those it has now are read from the contract), a supplier moved to another group with its old
group, and a lot moved to another framework with both frameworks. Each engine gets the trigger
in its own SQL (the rule above is kept in spirit: the same rows on both): row triggers on
SQLite, statement triggers reading the transition tables on PostgreSQL, so a COPY of a day's
contracts is one INSERT ... SELECT into the log.
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# (trigger name, table, event): the same names on both engines.
TRIGGERS = (
    ("change_log_contracts_inserted", "contracts", "INSERT"),
    ("change_log_contracts_updated", "contracts", "UPDATE"),
    ("change_log_contracts_deleted", "contracts", "DELETE"),
    ("change_log_suppliers_moved", "suppliers", "UPDATE"),
    ("change_log_lots_moved", "lots", "UPDATE"),
)


def _old_subjects(old: str, new: str | None, text: str) -> list[str]:
    """(kind, subject) selects of a contract's subjects before a change (all of them when it was
    deleted, `new` None): its buyer, its supplier's group, its CPV code, classification and lot.
    `text` formats a value as the log's text."""
    columns = (
        ("buyer", "buyer_id"),
        ("cpv", "cpv_code"),
        ("cls", "classification_id"),
        ("lot", "lot_id"),
    )
    selects = []
    for kind, column in columns:
        moved = "" if new is None else f" AND {old}.{column} IS DISTINCT FROM {new}.{column}"
        selects.append(
            f"SELECT '{kind}', {text.format(f'{old}.{column}')}"
            f" WHERE {old}.{column} IS NOT NULL{moved}"
        )
    moved = "" if new is None else f" AND {old}.supplier_id IS DISTINCT FROM {new}.supplier_id"
    selects.append(
        f"SELECT 'group', {text.format('s.group_id')} FROM suppliers s"
        f" WHERE s.id = {old}.supplier_id AND s.group_id IS NOT NULL{moved}"
    )
    return selects


def _sqlite() -> None:
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"

    def log(selects: list[str]) -> str:
        union = " UNION ALL ".join(selects)
        return f"INSERT INTO change_log (kind, subject, created) SELECT k, s, {now} FROM ({union})"

    text = "CAST({} AS TEXT)"
    old = _old_subjects("OLD", "NEW", text)
    bodies = {
        "change_log_contracts_inserted": "AFTER INSERT ON contracts BEGIN "
        + log(["SELECT 'contract' AS k, CAST(NEW.id AS TEXT) AS s"])
        + "; END",
        "change_log_contracts_updated": "AFTER UPDATE ON contracts BEGIN "
        + log(["SELECT 'contract' AS k, CAST(NEW.id AS TEXT) AS s", *old])
        + "; END",
        "change_log_contracts_deleted": "AFTER DELETE ON contracts BEGIN "
        + log(
            [
                "SELECT 'contract' AS k, CAST(OLD.id AS TEXT) AS s",
                *_old_subjects("OLD", None, text),
            ]
        )
        + "; END",
        "change_log_suppliers_moved": "AFTER UPDATE OF group_id ON suppliers"
        " WHEN OLD.group_id IS NOT NEW.group_id BEGIN "
        + log(
            [
                "SELECT 'supplier' AS k, CAST(NEW.id AS TEXT) AS s",
                "SELECT 'group', CAST(OLD.group_id AS TEXT) WHERE OLD.group_id IS NOT NULL",
            ]
        )
        + "; END",
        "change_log_lots_moved": "AFTER UPDATE OF framework_id ON lots"
        " WHEN OLD.framework_id IS NOT NEW.framework_id BEGIN "
        + log(
            [
                "SELECT 'framework' AS k, CAST(NEW.framework_id AS TEXT) AS s",
                "SELECT 'framework', CAST(OLD.framework_id AS TEXT)",
            ]
        )
        + "; END",
    }
    for name, body in bodies.items():
        # SQLite has IS NOT, not IS DISTINCT FROM (before 3.39).
        op.execute(f"CREATE TRIGGER {name} {body.replace('IS DISTINCT FROM', 'IS NOT')}")


def _postgresql() -> None:
    text = "CAST({} AS TEXT)"

    def joined(selects: list[str]) -> list[str]:
        # Each old row beside its new one: the transition tables, joined on the id.
        return [
            s.replace(" WHERE ", " FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ", 1)
            if " FROM suppliers s" not in s
            else s.replace(
                " FROM suppliers s WHERE s.id = o.supplier_id",
                " FROM old_rows o JOIN new_rows n ON n.id = o.id"
                " JOIN suppliers s ON s.id = o.supplier_id WHERE TRUE",
            )
            for s in selects
        ]

    def gone(selects: list[str]) -> list[str]:
        return [
            s.replace(" WHERE ", " FROM old_rows o WHERE ", 1)
            if " FROM suppliers s" not in s
            else s.replace(
                " FROM suppliers s WHERE s.id = o.supplier_id",
                " FROM old_rows o JOIN suppliers s ON s.id = o.supplier_id WHERE TRUE",
            )
            for s in selects
        ]

    bodies = {
        "change_log_contracts_inserted": (
            "contracts",
            "INSERT",
            "NEW TABLE AS new_rows",
            ["SELECT 'contract', CAST(id AS TEXT) FROM new_rows"],
        ),
        "change_log_contracts_updated": (
            "contracts",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            [
                "SELECT 'contract', CAST(id AS TEXT) FROM new_rows",
                *joined(_old_subjects("o", "n", text)),
            ],
        ),
        "change_log_contracts_deleted": (
            "contracts",
            "DELETE",
            "OLD TABLE AS old_rows",
            [
                "SELECT 'contract', CAST(id AS TEXT) FROM old_rows",
                *gone(_old_subjects("o", None, text)),
            ],
        ),
        "change_log_suppliers_moved": (
            "suppliers",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            [
                "SELECT 'supplier', CAST(n.id AS TEXT) FROM old_rows o JOIN new_rows n"
                " ON n.id = o.id WHERE o.group_id IS DISTINCT FROM n.group_id",
                "SELECT 'group', CAST(o.group_id AS TEXT) FROM old_rows o JOIN new_rows n"
                " ON n.id = o.id WHERE o.group_id IS DISTINCT FROM n.group_id"
                " AND o.group_id IS NOT NULL",
            ],
        ),
        "change_log_lots_moved": (
            "lots",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            [
                f"SELECT 'framework', CAST({side}.framework_id AS TEXT) FROM old_rows o"
                " JOIN new_rows n ON n.id = o.id"
                " WHERE o.framework_id IS DISTINCT FROM n.framework_id"
                for side in ("o", "n")
            ],
        ),
    }
    for name, (table, event, referencing, selects) in bodies.items():
        union = " UNION ALL ".join(selects)
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO change_log (kind, subject, created) SELECT k, s, now() FROM ({union})"
            " AS changed (k, s); RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def upgrade() -> None:
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
