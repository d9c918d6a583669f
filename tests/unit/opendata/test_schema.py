"""schemas/ocds-import-release.json documents what validation.py enforces: the two agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from registry.opendata.reader import iter_releases
from registry.opendata.validation import check_release
from tests.conftest import SHARED_DATA

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas" / "ocds-import-release.json").read_text()
)


def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _releases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(SHARED_DATA.rglob("*.json*")):
        if "truncated" in path.name:
            continue
        for found in iter_releases(path):
            if found.release is not None:
                out.append((f"{path.name}:{found.where}", found.release))
    return out


def test_schema_and_checker_agree_on_every_real_and_broken_release() -> None:
    validator = _validator()
    releases = _releases()
    disagreements = [
        where
        for where, release in releases
        if validator.is_valid(json.loads(json.dumps(release, default=float)))
        != (not check_release(release, where))
    ]
    assert disagreements == []
    # Both kinds are covered: the real releases pass, the hand-made broken ones fail.
    assert sum(1 for _w, r in releases if not check_release(r, "")) >= 3
    assert len(releases) > 1000
