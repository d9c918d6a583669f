"""release_is_sound (the import's quick check) answers as check_release (which names every
problem) does: on every real release, and on releases with any field mutated."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.opendata.reader import iter_releases
from registry.opendata.validation import check_release, release_is_sound
from tests.conftest import SHARED_DATA


def release() -> dict[str, Any]:
    return {
        "ocid": "ocds-test-1",
        "id": "ocds-test-1-award",
        "date": "2024-01-01T00:00:00Z",
        "tag": ["award"],
        "buyer": {"id": "b1", "name": "Leeds", "identifier": {"scheme": "GB-X", "id": 12}},
        "parties": [
            {"id": "b1", "name": "Leeds", "roles": ["buyer"]},
            {"id": 2, "name": "EMIS", "identifier": {"scheme": "GB-COH", "id": "06553923"}},
        ],
        "tender": {
            "title": "T",
            "procurementMethod": "open",
            "numberOfTenderers": 3,
            "value": {"amount": Decimal("10.5"), "currency": "GBP"},
            "classification": {"scheme": "CPV", "id": "72260000"},
        },
        "awards": [
            {
                "id": "a1",
                "title": "A",
                "status": "active",
                "date": "2024-01-02",
                "value": {"amount": 125000, "currency": "GBP"},
                "suppliers": [{"id": 2, "name": "EMIS"}],
                "contractPeriod": {"startDate": "2024-02-01", "endDate": "2026-02-01"},
            },
            None,
        ],
        "contracts": [
            {
                "id": "c1",
                "awardID": "a1",
                "status": "active",
                "value": {"amount": Decimal("0"), "currency": "GBP"},
                "period": {"startDate": "2024-02-01T00:00:00Z"},
                "dateSigned": "2024-01-20T00:00:00+01:00",
                "amendments": [{"date": "2025-06-01T00:00:00Z", "rationale": "extended"}, None],
            }
        ],
    }


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*path, index))
    return out


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([Decimal("-0.01"), Decimal("1E+16"), 10**16, 10**16 - 1, 1e16, -0.0, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False),
    st.sampled_from(["", " ", "x", "GBP", "gbp", "G1P", "2024-01-01", "2024-13-01", "x" * 191]),
    st.text(max_size=12),
    st.lists(st.sampled_from(["a", 1, None]), max_size=2),
    st.dictionaries(st.sampled_from(["id", "name", "amount", "date"]), st.none(), max_size=2),
)


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_the_quick_check_agrees_with_the_full_one(data: st.DataObject) -> None:
    doc = release()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(doc)[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(VALUES)
        if not isinstance(doc, dict):
            return
    assert release_is_sound(doc) == (check_release(copy.deepcopy(doc), "r") == [])


def test_every_real_release_is_sound_by_both() -> None:
    count = 0
    for path in sorted(SHARED_DATA.rglob("*.json*")):
        if path.name.startswith("invalid-"):
            continue
        for found in iter_releases(path):
            if found.release is not None:
                count += 1
                assert release_is_sound(found.release) == (check_release(found.release, "") == [])
    assert count > 1000


def test_the_invalid_files_releases_are_unsound_by_both() -> None:
    unsound = 0
    for name in ("invalid-wrong-types.json", "invalid-missing-ocid.json"):
        for found in iter_releases(SHARED_DATA / name):
            if found.release is not None:
                problems = check_release(found.release, "")
                assert release_is_sound(found.release) == (problems == [])
                unsound += bool(problems)
    assert unsound >= 3
