"""The PostgreSQL backend's one statement for a search's results: from its capped, ranked matches
to the public ones among them, filtered by the facets chosen, counted, faceted and paged, all in
the database, answered as one JSON row.

Each match's facet values were read to the client and counted there: two thousand rows a search
at 100,000 records, and more of its time in Python than in PostgreSQL. Now only the counts, the
page's keys and the page's facet values come back."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from registry.search.documents import FacetValues, facet_rows, score_band_sql
from registry.search.interfaces import KINDS


@dataclasses.dataclass
class Found:
    """What the statement answers: whether anything matched (public or not), the number of
    matches shown after the filters, each facet's counts, the page number shown (clamped as
    `page_number`), its keys in order, and their facet values."""

    matched: bool
    total: int
    counts: dict[str, Counter[str]]
    page: int
    shown: list[str]
    values: dict[str, FacetValues]


def page_number(page: int, total: int, page_size: int) -> int:
    """The page shown: the one asked for, within 1 and the last (the statement does the same)."""
    return min(max(1, page), max(1, -(-total // page_size)))


def results_statement(matched: sa.Select[Any], filtered: bool) -> sa.Select[Any]:
    """`matched`: (kind, record_id, position), the matches in rank order (position 1 first);
    `filtered`: whether facets are filtered on. Run with results_parameters."""
    page = sa.bindparam("page", type_=sa.Integer)
    page_size = sa.bindparam("page_size", type_=sa.Integer)
    m = matched.cte("matched")
    ids = {kind: sa.select(m.c.record_id).where(m.c.kind == kind) for kind in KINDS}
    rows = sa.union_all(*(facet_rows[kind](ids[kind]) for kind in KINDS)).subquery("rows")
    # The facet rows of the public matches (a match without any is no longer public).
    facts = (
        sa.select(m.c.position, rows)
        .join_from(rows, m, sa.and_(m.c.kind == rows.c.kind, m.c.record_id == rows.c.id))
        .cte("facts")
    )
    own = sa.and_(facts.c.kind == "supplier", facts.c.reference.is_(None))
    # (position, facet, value): each public match's facet values, once each.
    values = sa.union_all(
        _value(facts, "kind", facts.c.kind).distinct(),
        _value(facts, "frameworks", facts.c.reference)
        .where(facts.c.reference.is_not(None))
        .distinct(),
        _value(facts, "category", facts.c.category).where(
            facts.c.kind != "supplier", facts.c.category != ""
        ),
        _value(facts, "score_band", score_band_sql(facts.c.score)).where(own),
        _value(facts, "open_flags", sa.case((facts.c.flagged, "yes"), else_="no")).where(own),
    ).cte("facet_values")
    public = sa.select(facts.c.position, facts.c.kind, facts.c.id).distinct().cte("public")
    chosen = _chosen(public, values, filtered).cte("chosen")
    total = sa.select(sa.func.count()).select_from(chosen).scalar_subquery()
    numbered = sa.select(
        chosen, sa.func.row_number().over(order_by=chosen.c.position).label("n")
    ).subquery()
    # page_number, in SQL: the last page is the one asked for past it.
    last = sa.func.greatest(1, (total + page_size - 1) // page_size)
    start = (sa.func.least(sa.func.greatest(1, page), last) - 1) * page_size
    shown = (
        sa.select(numbered)
        .where(numbered.c.n > start, numbered.c.n <= start + page_size)
        .cte("shown")
    )
    counted = sa.select(values.c.name, values.c.value, sa.func.count().label("count"))
    if filtered:  # if not, every public match is chosen, and only theirs have values
        counted = counted.where(values.c.position.in_(sa.select(chosen.c.position)))
    counts = counted.group_by(values.c.name, values.c.value).subquery()
    shown_values = (
        values.select().where(values.c.position.in_(sa.select(shown.c.position))).subquery()
    )
    return sa.select(
        sa.func.json_build_object(
            sa.literal_column("'matched'"),
            sa.exists(sa.select(m.c.position)),
            sa.literal_column("'total'"),
            total,
            sa.literal_column("'counts'"),
            _rows(counts.c.name, counts.c.value, counts.c["count"]),
            sa.literal_column("'shown'"),
            _rows(shown.c.position, shown.c.kind, shown.c.id, order_by=shown.c.position),
            sa.literal_column("'values'"),
            _rows(shown_values.c.position, shown_values.c.name, shown_values.c.value),
        )
    )


def _value(facts: Any, name: str, value: Any) -> sa.Select[Any]:
    return sa.select(
        facts.c.position, sa.literal_column(f"'{name}'").label("name"), value.label("value")
    )


def _chosen(public: Any, values: Any, filtered: bool) -> sa.Select[Any]:
    """The public matches with, for every facet filtered on, one of the values chosen."""
    if not filtered:
        return public.select()
    wanted = (
        sa.func.unnest(
            sa.bindparam("filter_names", type_=ARRAY(sa.Text)),
            sa.bindparam("filter_values", type_=ARRAY(sa.Text)),
        )
        .table_valued("name", "value")
        .render_derived(name="wanted")
    )
    met = (
        sa.select(values.c.position)
        .join(wanted, sa.and_(values.c.name == wanted.c.name, values.c.value == wanted.c.value))
        .group_by(values.c.position)
        .having(
            sa.func.count(values.c.name.distinct())
            == sa.bindparam("filter_count", type_=sa.Integer)
        )
    )
    return public.select().where(public.c.position.in_(met))


def results_parameters(filters: dict[str, list[str]], page: int, page_size: int) -> dict[str, Any]:
    """The values results_statement is run with."""
    pairs = [(name, value) for name, chosen in filters.items() for value in chosen]
    return {
        "page": page,
        "page_size": page_size,
        "filter_names": [name for name, _ in pairs],
        "filter_values": [value for _, value in pairs],
        "filter_count": len(filters),
    }


def _rows(*columns: Any, order_by: Any = None) -> Any:
    """These columns' rows as one JSON array of arrays (an empty array for none)."""
    row = sa.func.json_build_array(*columns)
    aggregated = sa.func.json_agg(row if order_by is None else aggregate_order_by(row, order_by))
    return sa.func.coalesce(sa.select(aggregated).scalar_subquery(), sa.text("'[]'::json"))


def read(answer: dict[str, Any], page: int, page_size: int) -> Found:
    """The statement's JSON answer, as the search needs it."""
    counts: dict[str, Counter[str]] = {}
    for name, value, count in answer["counts"]:
        counts.setdefault(name, Counter())[value] = count
    keys = {position: f"{kind}:{record_id}" for position, kind, record_id in answer["shown"]}
    values: dict[str, FacetValues] = {}
    for position, name, value in answer["values"]:
        values.setdefault(keys[position], {"frameworks": []}).setdefault(name, []).append(value)
    for found in values.values():
        found["frameworks"].sort()
    total = answer["total"]
    return Found(
        bool(answer["matched"]),
        total,
        counts,
        page_number(page, total, page_size),
        list(keys.values()),
        values,
    )
