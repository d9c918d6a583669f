"""What a page says of stored figures: when and by which method they were computed."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any


@dataclasses.dataclass(frozen=True)
class Computed:
    """The oldest of a record's stored rows (they may have been refreshed at different times)."""

    at: datetime.datetime
    method_version: str

    @classmethod
    def of(cls, rows: Sequence[Any]) -> Computed | None:
        """From rows ending (method_version, computed_at); None when there are none (live)."""
        if not rows:
            return None
        oldest = min(rows, key=lambda r: r[-1])
        return cls(oldest[-1], oldest[-2])
