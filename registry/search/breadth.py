"""How broad a search may be: the limits every backend keeps, on the page and the API alike.

A wildcard stands for every word of the index that fits it: `?*?*` is every word of two letters
or more, and the index then reads the postings of all of them. So a query is refused, with a
message that says why, when a wildcard has fewer than `MIN_PREFIX` letters before it, when its
wildcards stand for more than `max_expansions` words (Whoosh, which expands them), or when
working it out takes longer than `time_budget` seconds. Fuzzy matching (`word~`) is not offered:
`~` is read as punctuation by both backends."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from registry.search.interfaces import SearchTooBroad

# The characters Whoosh's WildcardPlugin and Wildcard query read as wildcards (with the
# Armenian, Arabic and Ethiopic question marks).
WILDCARDS = "*?[\u055e\u061f\u1367"
MIN_PREFIX = 2  # letters or digits a wildcard's word must start with
MAX_EXPANSIONS = 300  # words the wildcards of one query may stand for, over every field
TIME_BUDGET = 3.0  # seconds one query may take to work out
FIELD_PREFIX = re.compile(r"^\w+:(?=\S)")
LITERAL = re.compile(r"\w")


@dataclasses.dataclass(frozen=True)
class Limits:
    max_expansions: int = MAX_EXPANSIONS
    time_budget: float = TIME_BUDGET

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Limits:
        """`registry.search.max_expansions` and `registry.search.time_budget` (seconds)."""
        return cls(
            max_expansions=int(settings.get("registry.search.max_expansions") or MAX_EXPANSIONS),
            time_budget=float(settings.get("registry.search.time_budget") or TIME_BUDGET),
        )


def too_broad(reason: str) -> SearchTooBroad:
    return SearchTooBroad(f"Your search is too broad: {reason}")


def check_wildcards(text: str) -> None:
    """Refuse a query with a wildcard that has fewer than MIN_PREFIX letters before it."""
    for token in text.split():
        bare = FIELD_PREFIX.sub("", token.lstrip("(\"'+-"))
        first = min((bare.find(c) for c in WILDCARDS if c in bare), default=-1)
        if first < 0:
            continue
        if len(LITERAL.findall(bare[:first])) < MIN_PREFIX:
            raise too_broad(
                f"“{token}” needs at least {MIN_PREFIX} letters or digits before * or ?, "
                "for example clin* or EMIS*."
            )


def too_many_words(found: int, limit: int) -> SearchTooBroad:
    return too_broad(
        f"its wildcards stand for more than {limit:,} words ({found:,} counted so far). "
        "Type more letters before * or ?."
    )


def too_slow(budget: float) -> SearchTooBroad:
    return too_broad(
        f"it could not be worked out within {budget:g} seconds. Use more or longer words."
    )
