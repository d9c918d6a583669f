"""The release hash is what makes a re-import idempotent: it must not change with the encoder."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from registry.opendata.checking import release_hash
from registry.opendata.reader import iter_releases
from tests.conftest import SHARED_DATA


def json_hash(release: dict[str, Any]) -> str:
    """The hash as json.dumps makes it: what imports before the orjson encoder stored."""
    canonical = json.dumps(
        release, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@pytest.mark.parametrize(
    "release",
    [
        {"s": '\x00\x01\x1f\x7f\u2028é😀"\\/\n\t\r\b\f', "B": 2, "a": None, "é": True},
        {"amount": Decimal("1.50"), "big": Decimal("1E+3"), "list": [1, -2, Decimal("0.1")]},
        {"integer past 64 bits": 2**70},
        {"lone surrogate": "\ud800x"},
        {"nested": {"m": [{}], "": ""}},
    ],
)
def test_the_hash_is_that_of_json_dumps_on_awkward_values(release: dict[str, Any]) -> None:
    assert release_hash(release) == json_hash(release)


def test_the_hash_is_that_of_json_dumps_on_every_real_release() -> None:
    releases = [
        found.release
        for path in sorted(SHARED_DATA.rglob("*.json*"))
        if not path.name.startswith("invalid")
        for found in iter_releases(path)
        if found.release is not None
    ]
    assert len(releases) > 1000
    assert [release_hash(r) for r in releases] == [json_hash(r) for r in releases]
