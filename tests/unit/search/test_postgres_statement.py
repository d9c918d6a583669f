"""The PostgreSQL backend's one statement, without a database: built once per query shape, and
its JSON answer read back (the searches themselves run in test_backends on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

import registry.models  # noqa: F401  (every model mapped: the statement names several)
from registry.search.postgres_backend import _query_parts, _statement
from registry.search.postgres_results import read, results_parameters


def test_a_query_is_a_shape_and_its_texts() -> None:
    shape, texts = _query_parts("TPP* OR Vision clin* EMIS*")
    assert shape == (1, 2)
    assert texts == {
        "part_0": " ",
        "prefix_0_0": "TPP:*",
        "part_1": "Vision    ",
        "prefix_1_0": "clin:*",
        "prefix_1_1": "EMIS:*",
    }


def test_one_statement_a_shape_named_by_its_parameters() -> None:
    statement = _statement((1, 2), ("frameworks", "kind"))
    assert _statement((1, 2), ("frameworks", "kind")) is statement  # built once
    assert _statement((1, 2), ()) is not statement
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    parameters = set(results_parameters({"kind": ["lot"], "frameworks": ["RM1"]}, 1, 20))
    parameters |= set(_query_parts("TPP* OR Vision clin* EMIS*")[1])
    assert parameters <= set(compiled.params)


def test_the_parameters_tag_each_value_chosen_with_its_facet() -> None:
    assert results_parameters({"kind": ["lot", "contract"]}, 2, 10) == {
        "page": 2,
        "page_size": 10,
        "filter_kind": ["kind:lot", "kind:contract"],
    }


def test_the_answer_is_read_into_counts_keys_and_the_page_facet_values() -> None:
    answer = {
        "matched": True,
        "total": 41,
        "counts": [["kind:supplier", 40], ["kind:lot", 1], ["frameworks:RM:2", 3]],
        "shown": [
            ["supplier", 7, ["kind:supplier", "frameworks:RM9", "frameworks:RM1", "open_flags:no"]],
            ["lot", 3, ["kind:lot", "category:exit plan"]],
        ],
    }
    found = read(answer, page=99, page_size=20)
    assert (found.matched, found.total, found.page) == (True, 41, 3)  # past the last: the last
    assert found.counts["kind"] == {"supplier": 40, "lot": 1}
    assert found.counts["frameworks"] == {"RM:2": 3}  # a value may hold the separator
    assert found.shown == ["supplier:7", "lot:3"]
    assert found.values["supplier:7"] == {
        "frameworks": ["RM1", "RM9"],
        "kind": ["supplier"],
        "open_flags": ["no"],
    }
    assert found.values["lot:3"]["category"] == ["exit plan"]
