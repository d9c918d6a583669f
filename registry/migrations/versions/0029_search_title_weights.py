"""search vectors: the titles of contracts, lots and frameworks weighted within them (issue 21)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

Rules for every migration here:
- it runs the same on SQLite (batch mode) and PostgreSQL: no dialect-only SQL;
- it changes structure only: reference and seed data go through `registry seed`, never here;
- it never drops an accountable column or table without keeping its data somewhere.

This revision belongs to the search feature. The PostgreSQL backend ranks a supplier that sells
what was asked for by the contracts, lots and frameworks whose title alone matches, and read
that by parsing each candidate's title again at query time (a third of a broad query's time at
100,000 records). The title's words are now stored in the record's vector, weighted A (every
other word keeps the default, D), so `ts_filter(vector, '{a}')` is the title's vector, read
without parsing. The stored vector is the same words in the same places, and the backend ranks
every weight alike, so what is found and its order are unchanged. A column of its own would
have differed between the engines; this is the trigger function alone (0016's, redefined) and
the three kinds' vectors rewritten, set-based. PostgreSQL only, as 0016: SQLite has no vectors.
"""

from types import ModuleType

from alembic import context, op
from alembic.script import ScriptDirectory

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

CONFIG = "english"
TITLE_WEIGHT = "A"


def _vector(*parts: str, title: str) -> str:
    """The vector of `parts`, one of which is `title`, weighted: concat_ws drops a NULL part as
    0016's words did, where a NULL vector would void the whole concatenation."""
    return " || ".join(
        f"setweight(to_tsvector('{CONFIG}', concat_ws(' ', {part})), '{TITLE_WEIGHT}')"
        if part == title
        else f"to_tsvector('{CONFIG}', concat_ws(' ', {part}))"
        for part in parts
    )


# kind -> (table, the (record_id, vector) rows of the public records among `r`): the words and
# conditions of 0016's WORDS, in the same order, the title weighted.
TITLED = {
    "framework": (
        "frameworks",
        f"""SELECT r.id, {
            _vector("r.reference", "r.title", "r.owner_body, r.description", title="r.title")
        }
        FROM r WHERE r.retracted_at IS NULL""",
    ),
    "lot": (
        "lots",
        f"""SELECT r.id, {_vector("f.reference", "r.title", "r.description", title="r.title")}
        FROM r JOIN frameworks f ON f.id = r.framework_id
        WHERE r.retracted_at IS NULL AND f.retracted_at IS NULL""",
    ),
    "contract": (
        "contracts",
        f"""SELECT r.id, {
            _vector(
                "r.title", "r.description, r.reference, r.ocid, b.name, s.name", title="r.title"
            )
        }
        FROM r JOIN buyers b ON b.id = r.buyer_id JOIN suppliers s ON s.id = r.supplier_id
        WHERE r.publication = 'published' AND r.retracted_at IS NULL""",
    ),
}


def _search_vectors() -> ModuleType:
    script = ScriptDirectory.from_config(context.config).get_revision("0016")
    assert script is not None
    return script.module


def _rewrite(search_vectors: ModuleType, vectors: dict[str, tuple[str, str]]) -> None:
    """Redefine the trigger functions, then rewrite the titled kinds' vectors with them: one
    DELETE and one INSERT ... SELECT per kind."""
    search_vectors.create_functions(vectors)
    for kind, (table, _) in TITLED.items():
        op.execute(f"SELECT search_vectors_refresh('{kind}', ARRAY(SELECT id FROM {table}))")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    search_vectors = _search_vectors()
    _rewrite(search_vectors, {**search_vectors.VECTORS, **TITLED})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    search_vectors = _search_vectors()
    _rewrite(search_vectors, search_vectors.VECTORS)
