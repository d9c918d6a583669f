"""Publishers' strings made safe for any database."""

from __future__ import annotations

from typing import Any


def text(value: Any, limit: int) -> str:
    """A string safe for any database: no NUL, no lone surrogates, cut to the column's size."""
    if value is None:
        return ""
    if type(value) is str and value.isascii() and "\x00" not in value:
        return value.strip()[:limit]  # the common case: nothing to replace
    result = str(value).replace("\x00", "")
    try:
        result.encode("utf-8")
    except UnicodeEncodeError:
        result = result.encode("utf-8", "replace").decode("utf-8")
    return result.strip()[:limit]


def words(value: Any, limit: int) -> str:
    """`text` with its whitespace folded: runs of spaces, tabs and newlines become one space."""
    return text(" ".join(text(value, 100_000).split()), limit)
