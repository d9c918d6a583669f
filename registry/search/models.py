"""The PostgreSQL search backend's index: one tsvector per searchable record, kept in step with
the tables by statement-level triggers (migration 0016), so every write path (the ORM, bulk
imports, `registry seed`) keeps it current inside its own transaction. On SQLite the table
exists but stays empty: the Whoosh backend does not use it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase

# What a text vector is stored as: PostgreSQL's own type, plain text elsewhere.
VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class SearchVector(ModelBase):
    __tablename__ = "search_vectors"
    __table_args__ = (
        # GIN on PostgreSQL: `vector @@ query` finds the matches without reading every row.
        sa.Index("ix_search_vectors_vector", "vector", postgresql_using="gin"),
        {"comment": "the words of each searchable record, for the PostgreSQL search backend"},
    )

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    record_id: Mapped[int] = mapped_column(primary_key=True)
    vector: Mapped[str] = mapped_column(VECTOR)


class SupplierSells(ModelBase):
    """The titles each public supplier sells under (registry.search.offers': its public
    contracts', lots' and their frameworks'), a row a title, kept in step by triggers (migration
    0030): the PostgreSQL backend finds the sellers of what was asked for with one index lookup."""

    __tablename__ = "supplier_sells"
    __table_args__ = (
        sa.Index("ix_supplier_sells_vector", "vector", postgresql_using="gin"),
        {
            "comment": (
                "the titles each public supplier sells under, for the PostgreSQL search backend"
            )
        },
    )

    supplier_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # md5 of the title
    vector: Mapped[str] = mapped_column(VECTOR)
