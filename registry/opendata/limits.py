"""How much a file may expand to as it is read: bounds on what an import reads, not on what it
was sent as.

A gzip file of a few hundred kilobytes can hold gigabytes (a "gzip bomb"), and one JSON string of
hundreds of megabytes is built whole in memory by any parser. So every byte is counted as it is
read, after decompression, and the file is refused (a ReadError, so the import ledger records
the refusal) as soon as it passes one of these limits, each named in the message:

- `max_bytes`: the file's size once decompressed;
- `max_string`: the longest stretch between two double quotes, which bounds any JSON string
  (and any run of digits or spaces) that holds no escaped quote;
- `max_line`: in JSON Lines, the longest line (a line is parsed whole).

A run of more than `MAX_DIGITS` digits is refused whatever the limits: Python refuses to turn
such a number into an int, and ijson's C parser, given that refusal mid-stream, is left in a
state that can crash the process. No OCDS value needs a number that long.

Nesting depth is bounded by `reader.MAX_DEPTH`. Uploads (`/data/import`) get smaller limits than
`registry import ocds`, whose files may be a nation's whole year; both are settings
(`registry.upload.*` and `registry.import.*`: max_bytes, max_string, max_line), and the CLI's can
be given on its command line."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import IO, Any

KB, MB, GB = 1024, 1024**2, 1024**3
SIZE = re.compile(r"\s*(\d+)\s*([KMG]?)B?\s*", re.IGNORECASE)
UNITS = {"": 1, "K": KB, "M": MB, "G": GB}
NAMES = {
    "max_bytes": "decompressed size",
    "max_string": "longest string",
    "max_line": "longest line",
}


@dataclasses.dataclass(frozen=True)
class ReadLimits:
    max_bytes: int
    max_string: int
    max_line: int

    def replace(self, **changes: Any) -> ReadLimits:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# The command line: a national publisher's year, decompressed, fits in a few gigabytes.
IMPORT = ReadLimits(max_bytes=4 * GB, max_string=16 * MB, max_line=256 * MB)
# An upload through the admin page is read in one web request's thread.
UPLOAD = ReadLimits(max_bytes=1 * GB, max_string=16 * MB, max_line=64 * MB)


def parse_size(text: str) -> int:
    """'2G', '500MB', '64k' or a number of bytes; ValueError otherwise."""
    match = SIZE.fullmatch(str(text))
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a size (bytes, or a number with K, M or G)")
    return int(match.group(1)) * UNITS[match.group(2).upper()]


def from_settings(settings: dict[str, Any], prefix: str, default: ReadLimits) -> ReadLimits:
    """`<prefix>.max_bytes`, `.max_string`, `.max_line` from the settings, or the defaults."""
    return default.replace(
        **{
            name: parse_size(settings[f"{prefix}.{name}"])
            for name in NAMES
            if settings.get(f"{prefix}.{name}")
        }
    )


def upload_limits(settings: dict[str, Any]) -> ReadLimits:
    return from_settings(settings, "registry.upload", UPLOAD)


def import_limits(settings: dict[str, Any]) -> ReadLimits:
    return from_settings(settings, "registry.import", IMPORT)


def describe(size: int) -> str:
    for unit, factor in (("GB", GB), ("MB", MB), ("KB", KB)):
        if size >= factor and size % factor == 0:
            return f"{size // factor:,} {unit}"
    return f"{size:,} bytes"


# Below Python's int conversion limit (sys.get_int_max_str_digits(), 4,300 by default).
MAX_DIGITS = 4000
DIGITS = b"0123456789"
# Every digit read as "0", so a run too long is a plain substring search: a regular expression
# for it tries again at every digit of a run, which cost as much as parsing the file.
AS_ZEROS = bytes.maketrans(DIGITS, b"0" * len(DIGITS))
LONG_DIGITS = b"0" * (MAX_DIGITS + 1)


class LimitPassed(Exception):
    """The file passed one of its ReadLimits: the message names it."""


class BoundedReader(io.RawIOBase):
    """Reads `stream`, counting every byte and the longest stretch without `separator`
    (b'"' for JSON documents, b'\\n' for JSON Lines), and raises LimitPassed as soon as
    either passes its limit: before the parser has the bytes to build anything from them."""

    def __init__(self, stream: IO[bytes], limits: ReadLimits, json_lines: bool) -> None:
        self.stream = stream
        self.limits = limits
        self.separator = b"\n" if json_lines else b'"'
        self.longest = limits.max_line if json_lines else limits.max_string
        self.what = "a line" if json_lines else "a string (or a stretch between two strings)"
        self.setting = "max_line" if json_lines else "max_string"
        self.read_bytes = 0
        self.run = 0  # bytes since the last separator
        self.digits = 0  # digits the last chunk ended with

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.stream.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        self.read_bytes += size
        if self.read_bytes > self.limits.max_bytes:
            raise LimitPassed(
                f"expands to more than {describe(self.limits.max_bytes)} when decompressed "
                "(the limit on the decompressed size, max_bytes)"
            )
        self._check_digits(chunk)
        first = chunk.find(self.separator)
        if first < 0:
            self.run += size
        else:
            inner = max(map(len, chunk[first + 1 :].split(self.separator)))
            self.run = max(self.run + first, inner)
            self._check()
            self.run = size - chunk.rfind(self.separator) - 1
        self._check()
        return size

    def _check_digits(self, chunk: bytes) -> None:
        leading = len(chunk) - len(chunk.lstrip(DIGITS))
        if self.digits + leading > MAX_DIGITS or LONG_DIGITS in chunk.translate(AS_ZEROS):
            raise LimitPassed(
                f"holds a run of more than {MAX_DIGITS:,} digits: a number no parser here "
                "can read safely"
            )
        trailing = len(chunk) - len(chunk.rstrip(DIGITS))
        self.digits = self.digits + trailing if leading == len(chunk) else trailing

    def _check(self) -> None:
        if self.run > self.longest:
            raise LimitPassed(
                f"holds {self.what} longer than {describe(self.longest)} "
                f"(the limit on the {NAMES[self.setting]}, {self.setting})"
            )
