"""JSON Lines are parsed with msgspec: every line must read as json (numbers as Decimal) reads it,
and what msgspec refuses must be read, or refused, as json would."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry.opendata.reader import ReadError, iter_releases
from tests.conftest import SHARED_DATA


def as_json_reads(line: str) -> Any:
    return json.loads(line.removeprefix("\ufeff"), parse_float=Decimal)


def typed(value: Any) -> Any:
    """The value with each scalar's type beside it: 1 and Decimal("1") are equal but not alike."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, str(value))


def read(tmp_path: Path, *lines: str) -> list[Any]:
    path = tmp_path / "releases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    return [found.release for found in iter_releases(path)]


@pytest.mark.parametrize(
    "line",
    [
        '{"ocid": "a", "amounts": [1.10, -0.0, 1e5, 1E-7, 0.1e1, -12.50, 1E+309, 1E+400]}',
        '{"ocid": "a", "big": 123456789012345678901234567890, "exact": 12345678901234567890.123}',
        '{"ocid": "a", "twice": 1, "twice": 2}',
        '{"ocid": "a", "text": "caf\\u00e9 \\ud83d\\ude00 \\ud800 \\u2028"}',
        '\ufeff{"ocid": "a", "after": "a byte-order mark"}',
    ],
)
def test_a_line_reads_as_json_reads_it(tmp_path: Path, line: str) -> None:
    assert typed(read(tmp_path, line)) == [typed(as_json_reads(line))]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"ocid": "a", "amount": NaN}', "NaN is not a number JSON allows"),
        ('{"ocid": "a", "amount": Infinity}', "Infinity is not a number JSON allows"),
        ('{"ocid": "a", "amounts": [1,]}', "Expecting value: line 1 column 29 \\(char 28\\)"),
        ('{"ocid": "a"} {}', "Extra data"),
    ],
)
def test_a_line_json_refuses_is_refused_in_json_words(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(ReadError, match=f"line 1: not valid JSON \\({message}"):
        read(tmp_path, line)


def test_every_real_line_reads_as_json_reads_it() -> None:
    paths = sorted(SHARED_DATA.rglob("*.jsonl"))
    assert paths
    for path in paths:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        expected = []
        for line in lines:
            value = as_json_reads(line)
            expected += value.get("releases", [value])
        assert typed([found.release for found in iter_releases(path)]) == typed(expected)


def test_a_line_not_utf8_is_refused_naming_its_byte_from_the_line_start(tmp_path: Path) -> None:
    path = tmp_path / "releases.jsonl"
    # A byte-order mark on the second line: the file's own, before the first, is skipped earlier.
    path.write_bytes(b'{"ocid": "a"}\n\xef\xbb\xbf{"ocid": "a", "t": "\xff"}\n')
    with pytest.raises(ReadError, match=r"line 2: not UTF-8 \(byte 24\)"):
        list(iter_releases(path))
