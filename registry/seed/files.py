"""Reading seed_data/: every file is parsed and checked against its JSON Schema (schemas/seed-*)
before anything else looks at it. Problems name the file and the JSON path."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from registry import PROJECT_ROOT

SEED_DIR = PROJECT_ROOT / "seed_data"
SCHEMA_DIR = PROJECT_ROOT / "schemas"

# The core seed files and the schemas they must meet. frameworks/ holds one framework per file.
# Other features may add seed_data/<folder>/<name>.json (loaded by their own code after the core);
# each must have schemas/seed-<name>.schema.json and is checked here too, before anything is written.
SCHEMA_FOR_FILE = {
    "suppliers.json": "seed-suppliers",
    "buyers.json": "seed-buyers",
    "contracts.json": "seed-contracts",
    "gp_practices.json": "seed-gp-practices",
}
FRAMEWORKS_DIR = "frameworks"
FRAMEWORK_SCHEMA = "seed-framework"
SCHEMA_NAMES = (*SCHEMA_FOR_FILE.values(), FRAMEWORK_SCHEMA)


class SeedDataError(Exception):
    """The seed data cannot be loaded; nothing was written. Each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """The schema `schemas/<name>.schema.json`, loaded and checked once per process."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@dataclasses.dataclass
class SeedFile:
    name: str  # as shown in messages: seed_data/frameworks/gpsoc.json
    data: dict[str, Any]
    sha256: str


@dataclasses.dataclass
class SeedData:
    directory: Path
    suppliers: SeedFile
    buyers: SeedFile
    contracts: SeedFile
    practices: SeedFile
    frameworks: list[SeedFile]
    extras: list[SeedFile] = dataclasses.field(default_factory=list)

    @property
    def files(self) -> list[SeedFile]:
        return [
            self.suppliers,
            self.buyers,
            *self.frameworks,
            self.contracts,
            self.practices,
            *self.extras,
        ]


def extra_schema(path: Path) -> str:
    """The schema another feature's seed file must meet: assessments.json -> seed-assessments."""
    return "seed-" + path.stem.replace("_", "-")


def _display(directory: Path, path: Path) -> str:
    return f"{directory.name}/{path.relative_to(directory).as_posix()}"


def _read(directory: Path, path: Path, schema: str, problems: list[str]) -> SeedFile | None:
    name = _display(directory, path)
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    except json.JSONDecodeError as exc:
        problems.append(f"{name}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}")
        return None
    errors = sorted(validator(schema).iter_errors(data), key=lambda e: list(map(str, e.path)))
    for error in errors:
        problems.append(f"{name}: {error.json_path}: {error.message}")
    if errors:
        return None
    return SeedFile(name, data, hashlib.sha256(raw).hexdigest())


def read_seed_data(directory: Path | None = None) -> SeedData:
    """Every seed file, parsed and schema-valid; or SeedDataError listing every problem found."""
    directory = (directory or SEED_DIR).resolve()
    if not directory.is_dir():
        raise SeedDataError([f"{directory}: no seed data directory"])
    problems: list[str] = []
    extras: list[SeedFile | None] = []
    for path in sorted(directory.rglob("*.json")):
        relative = path.relative_to(directory)
        if relative.as_posix() in SCHEMA_FOR_FILE or relative.parent == Path(FRAMEWORKS_DIR):
            continue
        schema = extra_schema(path)
        if (SCHEMA_DIR / f"{schema}.schema.json").is_file():
            extras.append(_read(directory, path, schema, problems))
        else:
            problems.append(
                f"{_display(directory, path)}: no schema for this file "
                f"(expected schemas/{schema}.schema.json)"
            )
    read: dict[str, SeedFile | None] = {}
    for filename, schema in SCHEMA_FOR_FILE.items():
        path = directory / filename
        if not path.is_file():
            problems.append(f"{directory.name}/{filename}: missing")
            read[filename] = None
        else:
            read[filename] = _read(directory, path, schema, problems)
    framework_paths = sorted((directory / FRAMEWORKS_DIR).glob("*.json"))
    if not framework_paths:
        problems.append(f"{directory.name}/{FRAMEWORKS_DIR}/: no framework files")
    frameworks = [_read(directory, p, FRAMEWORK_SCHEMA, problems) for p in framework_paths]
    if problems:
        raise SeedDataError(problems)
    return SeedData(
        directory=directory,
        suppliers=_required(read["suppliers.json"]),
        buyers=_required(read["buyers.json"]),
        contracts=_required(read["contracts.json"]),
        practices=_required(read["gp_practices.json"]),
        frameworks=[_required(f) for f in frameworks],
        extras=[_required(f) for f in extras],
    )


def _required(value: SeedFile | None) -> SeedFile:
    assert value is not None  # a None is always reported as a problem first
    return value
