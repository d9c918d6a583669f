"""Generic SQL helpers any feature may use (no feature's rules: those live in their packages)."""

from __future__ import annotations


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern written with `escape="\\\\"`: its %, _ and
    backslashes escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
