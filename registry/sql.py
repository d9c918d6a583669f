"""Generic SQL helpers any feature may use (no feature's rules: those live in their packages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern written with `escape="\\\\"`: its %, _ and
    backslashes escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(expression: Any, text: str) -> sa.ColumnElement[bool]:
    """`expression` holds `text` literally: a LIKE with the text's wildcards escaped. Case is as
    given: lower both sides for a case-insensitive match."""
    return expression.like(f"%{escape_like(text)}%", escape="\\")
