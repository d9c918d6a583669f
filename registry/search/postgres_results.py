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

SEPARATOR = ":"  # between a facet's name (which has none) and a value: "frameworks:RM6010"


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


def results_statement(matched: sa.Select[Any], filtered: tuple[str, ...]) -> sa.Select[Any]:
    """`matched`: (kind, record_id, position), the matches in rank order (position 1 first);
    `filtered`: the facets filtered on. Run with results_parameters.

    Each public match becomes one row with its facet values as tags ("kind:supplier"), so that
    filtering, counting and paging need no join: joined, the planner (guessing one row for
    each part) looked a match's values up again for every other match (two seconds)."""
    m = matched.cte("matched")
    ids = {kind: sa.select(m.c.record_id).where(m.c.kind == kind) for kind in KINDS}
    rows = sa.union_all(*(facet_rows[kind](ids[kind]) for kind in KINDS)).subquery("rows")
    # The facet rows of the public matches (a match without any is no longer public): a CTE,
    # read once for the five facets (as a subquery, each facet read them again).
    facts = (
        sa.select(m.c.position, rows)
        .join_from(rows, m, sa.and_(m.c.kind == rows.c.kind, m.c.record_id == rows.c.id))
        .cte("facts")
    )
    tags = _facet_tags(facts).subquery("tags")
    public = sa.select(
        tags.c.position,
        tags.c.kind,
        tags.c.id,
        sa.func.array_agg(tags.c.tag.distinct()).label("tags"),
    ).group_by(tags.c.position, tags.c.kind, tags.c.id)
    for name in filtered:
        public = public.having(
            sa.func.array_agg(tags.c.tag).op("&&")(
                sa.bindparam(f"filter_{name}", type_=ARRAY(sa.Text))
            )
        )
    chosen = public.cte("chosen")
    total = sa.select(sa.func.count()).select_from(chosen).scalar_subquery()
    shown = _shown(chosen, total).subquery("shown")
    tag = sa.func.unnest(chosen.c.tags).table_valued("value").render_derived("tag")
    counts = (
        sa.select(tag.c.value, sa.func.count().label("count"))
        .select_from(chosen)
        .join(tag, sa.true())
        .group_by(tag.c.value)
        .subquery("counts")
    )
    return sa.select(
        sa.func.json_build_object(
            sa.literal_column("'matched'"),
            sa.exists(sa.select(m.c.position)),
            sa.literal_column("'total'"),
            total,
            sa.literal_column("'counts'"),
            _rows(counts.c.value, counts.c["count"]),
            sa.literal_column("'shown'"),
            _rows(shown.c.kind, shown.c.id, shown.c.tags, order_by=shown.c.position),
        )
    )


def _facet_tags(facts: Any) -> sa.CompoundSelect[Any]:
    """(position, kind, id, tag): each public match's facet values, as "facet:value"."""
    own = sa.and_(facts.c.kind == "supplier", facts.c.reference.is_(None))
    return sa.union_all(
        _tag(facts, "kind", facts.c.kind),
        _tag(facts, "frameworks", facts.c.reference).where(facts.c.reference.is_not(None)),
        _tag(facts, "category", facts.c.category).where(
            facts.c.kind != "supplier", facts.c.category != ""
        ),
        _tag(facts, "score_band", score_band_sql(facts.c.score)).where(own),
        _tag(facts, "open_flags", sa.case((facts.c.flagged, "yes"), else_="no")).where(own),
    )


def _tag(facts: Any, name: str, value: Any) -> sa.Select[Any]:
    tag: Any = sa.literal_column(f"'{name}{SEPARATOR}'") + sa.cast(value, sa.Text)
    return sa.select(facts.c.position, facts.c.kind, facts.c.id, tag.label("tag"))


def _shown(chosen: Any, total: Any) -> sa.Select[Any]:
    """The chosen matches on the page shown: page_number, in SQL."""
    page = sa.bindparam("page", type_=sa.Integer)
    page_size = sa.bindparam("page_size", type_=sa.Integer)
    numbered = sa.select(
        chosen, sa.func.row_number().over(order_by=chosen.c.position).label("n")
    ).subquery()
    last = sa.func.greatest(1, (total + page_size - 1) // page_size)
    start = (sa.func.least(sa.func.greatest(1, page), last) - 1) * page_size
    return sa.select(numbered).where(numbered.c.n > start, numbered.c.n <= start + page_size)


def results_parameters(filters: dict[str, list[str]], page: int, page_size: int) -> dict[str, Any]:
    """The values results_statement is run with (`filters` by the facets it names)."""
    chosen = {
        f"filter_{name}": [f"{name}{SEPARATOR}{v}" for v in values]
        for name, values in filters.items()
    }
    return {"page": page, "page_size": page_size, **chosen}


def _rows(*columns: Any, order_by: Any = None) -> Any:
    """These columns' rows as one JSON array of arrays (an empty array for none)."""
    row = sa.func.json_build_array(*columns)
    aggregated = sa.func.json_agg(row if order_by is None else aggregate_order_by(row, order_by))
    return sa.func.coalesce(sa.select(aggregated).scalar_subquery(), sa.text("'[]'::json"))


def read(answer: dict[str, Any], page: int, page_size: int) -> Found:
    """The statement's JSON answer, as the search needs it."""
    counts: dict[str, Counter[str]] = {}
    for tag, count in answer["counts"]:
        name, value = tag.split(SEPARATOR, 1)
        counts.setdefault(name, Counter())[value] = count
    shown = []
    values: dict[str, FacetValues] = {}
    for kind, record_id, tags in answer["shown"]:
        key = f"{kind}:{record_id}"
        shown.append(key)
        found = values[key] = {"frameworks": []}
        for tag in tags:
            name, value = tag.split(SEPARATOR, 1)
            found.setdefault(name, []).append(value)
        found["frameworks"].sort()
    total = answer["total"]
    return Found(
        bool(answer["matched"]), total, counts, page_number(page, total, page_size), shown, values
    )
