"""registry.sql: generic SQL helpers, run on the test database's engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.sql import contains, escape_like

LITERALLY = [
    ("100% recycled", "100%", True),
    ("100 recycled", "100%", False),  # % is itself, not "anything"
    ("a_b", "a_b", True),
    ("axb", "a_b", False),  # _ is itself, not "any one character"
    ("C:\\path", "C:\\", True),
    ("C:path", "C:\\", False),
]


@pytest.mark.parametrize(("text", "typed", "matches"), LITERALLY)
def test_escape_like_matches_what_was_typed_literally(
    db_session: Session, text: str, typed: str, matches: bool
) -> None:
    pattern = f"%{escape_like(typed)}%"
    found = db_session.execute(sa.select(sa.literal(text).like(pattern, escape="\\"))).scalar_one()
    assert bool(found) is matches


@pytest.mark.parametrize(("text", "typed", "matches"), LITERALLY)
def test_contains_finds_what_was_typed_literally(
    db_session: Session, text: str, typed: str, matches: bool
) -> None:
    found = db_session.execute(sa.select(contains(sa.literal(text), typed))).scalar_one()
    assert bool(found) is matches
