"""What an import will do: the rows to create and those already in the registry."""

from __future__ import annotations

import dataclasses
from typing import Any

from registry.csvimport.reader import Row


@dataclasses.dataclass
class Plan:
    create: list[Row] = dataclasses.field(default_factory=list)
    present: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    # Anything a kind resolves while checking and needs again when writing.
    context: dict[str, Any] = dataclasses.field(default_factory=dict)


def first_seen(seen: dict[Any, int], key: Any, line: int) -> int | None:
    """The line a key was first seen on, if before this one; remembers it otherwise."""
    if key in seen:
        return seen[key]
    seen[key] = line
    return None
