"""schemas/ocds-import-release.json documents the structure mapping relies on: every release the
cleaning (validation.py) lets through holds to it, however broken it was as published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from registry.opendata.checking import release_hash
from registry.opendata.reader import iter_releases
from registry.opendata.validation import clean_release
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


def _plain(release: dict[str, Any]) -> Any:
    return json.loads(json.dumps(release, default=float))


def test_every_cleaned_release_holds_to_the_schema_mapping_relies_on() -> None:
    validator = _validator()
    releases = _releases()
    broken = [where for where, release in releases if not validator.is_valid(_plain(release))]
    # The hand-made files and real publishers (Moldova's empty strings) break it as published.
    assert any("invalid-wrong-types" in where for where in broken)
    assert any("moldova" in where for where in broken)
    unusable = []
    for where, release in releases:
        faults: list[str] = []

        def report(rule: str, *_: Any, faults: list[str] = faults) -> None:
            faults.append(rule)

        reason = clean_release(release, report, release_hash(release))
        if reason is not None:
            unusable.append(where)
            assert "missing-ocid" in faults
            continue
        errors = [e.message for e in validator.iter_errors(_plain(release))]
        assert errors == [], where
        if where in broken:
            assert faults, where  # what made it invalid was reported
    assert [w.split(":")[0] for w in unusable] == ["invalid-missing-ocid.json"] * 2
    assert len(releases) > 1000
