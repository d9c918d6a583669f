"""The reader ahead (registry.opendata.ahead): the releases in order, a reading error raised
where the releases are used, and a stopped import's file closed."""

from __future__ import annotations

import pytest

from registry.opendata.ahead import DEPTH, ReadAhead


def test_the_items_come_in_order_and_all_of_them():
    ahead = ReadAhead(iter(range(DEPTH * 3)))
    try:
        assert list(ahead) == list(range(DEPTH * 3))
    finally:
        ahead.close()


def test_an_error_while_reading_is_raised_after_the_items_read_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("line 3: not valid JSON")

    ahead = ReadAhead(items())
    seen = []
    with pytest.raises(ValueError, match="line 3"):
        for item in ahead:
            seen.append(item)
    ahead.close()
    assert seen == [1, 2]


def test_an_import_that_stops_early_stops_the_reader_and_closes_its_file():
    closed = []

    def items():
        try:
            yield from range(DEPTH * 10)
        finally:
            closed.append(True)

    ahead = ReadAhead(items())
    first = next(iter(ahead))
    ahead.close()
    assert first == 0
    assert closed == [True]
    assert not ahead.thread.is_alive()


def test_each_item_comes_as_then_makes_it_in_order():
    ahead = ReadAhead(iter(range(DEPTH * 2)), then=lambda n: (n, n * n))
    try:
        assert list(ahead) == [(n, n * n) for n in range(DEPTH * 2)]
    finally:
        ahead.close()
