"""The registry's one clock: UTC's date whatever the server's zone, and asked nowhere else."""

from __future__ import annotations

import ast
import datetime
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import clock

REGISTRY = Path(clock.__file__).parent

# POSIX zone strings (no zone database needed); their sign is the reverse of the offset's.
# Between them every instant has a local date unlike UTC's in one of the two: UTC+14 is a day
# ahead from 10:00 UTC, UTC-12 a day behind until 12:00 UTC.
AHEAD = "LINT-14"
BEHIND = "AOE+12"


def _in_zone(zone: str) -> tuple[datetime.date, datetime.date, datetime.date]:
    """Under the process zone `zone`: (UTC's date, the clock's date, the local date)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        while True:
            utc = datetime.datetime.now(datetime.UTC).date()
            seen = clock.today(), datetime.date.today()
            if datetime.datetime.now(datetime.UTC).date() == utc:  # not across midnight
                return utc, *seen
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_today_is_the_utc_date_in_any_zone():
    ahead, behind = _in_zone(AHEAD), _in_zone(BEHIND)
    for utc, today, _ in (ahead, behind):
        assert today == utc
    # The zones took hold: in one of them the local date is not UTC's, so a clock that read the
    # local date would have failed above.
    assert any(local != utc for utc, _, local in (ahead, behind))


def _calls(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Each `….date.today()`, `date.today()` and `….now(…).date()` / `utcnow().date()`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        if func.attr == "today" and (
            (isinstance(func.value, ast.Name) and func.value.id == "date")
            or (isinstance(func.value, ast.Attribute) and func.value.attr == "date")
        ):
            yield node.lineno, ast.unparse(node)
        if func.attr == "date" and isinstance(func.value, ast.Call) and not node.args:
            inner = func.value.func
            name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
            if name in {"now", "utcnow"}:
                yield node.lineno, ast.unparse(node)


def test_no_module_but_the_clock_asks_the_date():
    asked = [
        f"{path.relative_to(REGISTRY.parent)}:{line}: {call}"
        for path in sorted(REGISTRY.rglob("*.py"))
        if path != REGISTRY / "clock.py"
        for line, call in _calls(ast.parse(path.read_text(), str(path)))
    ]
    assert asked == []


@pytest.mark.parametrize(
    "source",
    [
        "datetime.date.today()",
        "date.today()",
        "datetime.datetime.now(datetime.UTC).date()",
        "utcnow().date()",
    ],
)
def test_the_source_check_sees_each_way_of_asking(source):
    assert [call for _, call in _calls(ast.parse(source))] == [source]
