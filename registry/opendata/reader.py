"""Stream the releases out of an OCDS file, whatever its shape, without loading it whole.

Shapes: a release package, a record package (each record's compiledRelease, or its releases
compiled with ocdsmerge), a bare release, JSON Lines of any of these, each optionally gzipped.
Every release comes with where it was found ("line 3: releases[0]"), for messages.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import json
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson
import msgspec

from registry.opendata.limits import IMPORT, BoundedReader, LimitPassed, ReadLimits

# OCDS nests about ten levels deep; extensions rarely add more. Deeper input is refused before
# it can exhaust memory or the interpreter's stack (JSON Lines: json's own recursion guard, and
# the importer's hash of each release).
MAX_DEPTH = 64
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


class ReadError(Exception):
    """The file cannot be read as JSON at all: nothing after this point can be trusted."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclasses.dataclass
class Found:
    """One release, where it was found, or a problem with the item found there.

    `base` is where such releases sit in any file of this shape, without positions (the path
    findings are grouped by); `rule` names the problem's finding; `notes` are findings about a
    release that is still used (a record compiled from its releases). A problem `document`-wide
    is not an item of OCDS at all: a file of nothing but those is not OCDS."""

    where: str
    release: dict[str, Any] | None
    problem: str | None = None
    rule: str = ""
    base: str = "releases[]"
    document: bool = False
    ocid: str | None = None
    value: Any = None  # the value found, for a problem's finding
    record: str = ""  # where the record is, for a compiled release: its notes' paths start there
    notes: list[tuple[str, str, Any, str]] = dataclasses.field(default_factory=list)


def is_json_lines(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in (".jsonl", ".ndjson")


OnPackage = Callable[[dict[str, Any], str], None]  # a package's metadata, and where it is
BOM = b"\xef\xbb\xbf"


def iter_releases(
    path: Path,
    display_name: str | None = None,
    on_package: OnPackage | None = None,
    limits: ReadLimits | None = None,
) -> Iterator[Found]:
    """Every release in the file, in order. Raises ReadError when the file is not JSON, or
    passes one of `limits` (counted as it is read, after decompression: registry.opendata.limits;
    the command line's when none are given, so no file is ever read unbounded).

    `on_package` is called with each package's metadata (the package without its releases or
    records) and where it is, for the import ledger's publisher and the package's findings. A
    UTF-8 byte-order mark at the start of the file (or of a line) is ignored."""
    handle = path.open("rb")
    json_lines = is_json_lines(path)
    try:
        stream: IO[bytes] = handle
        if handle.read(2) == b"\x1f\x8b":
            handle.seek(0)
            stream = gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[assignment]
        else:
            handle.seek(0)
        if stream.read(3) != BOM:
            stream.seek(0)
        bounded = BoundedReader(stream, limits or IMPORT, json_lines)
        stream = io.BufferedReader(bounded, 1 << 16)
        if json_lines:
            yield from _json_lines(stream, on_package)
        else:
            yield from _documents(stream, on_package)
    except LimitPassed as exc:
        raise ReadError("", str(exc)) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ReadError("", f"cannot be read ({exc})") from exc
    finally:
        handle.close()


# JSON Lines: one release or one package per line; a line is small enough to parse whole.


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# One decoder for every line: json.loads with options would build a new one per call.
_decode = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant).decode
# msgspec parses a line several times faster, and hands each number with a fraction or an
# exponent to Decimal as published. What it refuses (malformed JSON, NaN, lone surrogates,
# integers past its range, depth) goes the json way, which accepts or words the error as before.
_fast_decode = msgspec.json.Decoder(float_hook=Decimal).decode


def _loads(raw: bytes) -> Any:
    # A byte-order mark: files joined line by line keep theirs.
    try:
        return _fast_decode(raw[3:] if raw.startswith(BOM) else raw)
    except (ValueError, ArithmeticError, RecursionError):  # the json way words it, or reads it
        text = raw.decode("utf-8")
        return _decode(text[1:] if text.startswith("\ufeff") else text)


def _json_lines(stream: IO[bytes], on_package: OnPackage | None = None) -> Iterator[Found]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            value = _loads(raw)
        except UnicodeDecodeError as exc:
            raise ReadError(where, f"not UTF-8 (byte {exc.start + 1})") from exc
        except RecursionError as exc:
            raise ReadError(where, f"nested deeper than {MAX_DEPTH} levels") from exc
        except ValueError as exc:
            raise ReadError(where, f"not valid JSON ({exc})") from exc
        if (
            type(value) is dict
            and "ocid" in value
            and not ("releases" in value or "records" in value)
        ):
            yield Found(where, value)  # a release, as most lines are: what _unpack would yield
            continue
        yield from _unpack(value, where + ": ", on_package)


def _unpack(value: Any, prefix: str, on_package: OnPackage | None = None) -> Iterator[Found]:
    """A whole parsed document: a package, or a release."""
    where = prefix.rstrip(": ")
    if not isinstance(value, dict):
        yield Found(
            where or "(document)",
            None,
            "not a JSON object (a release or a package)",
            rule="not-an-object",
            base="(document)",
            document=True,
            value=value,
        )
        return
    if "releases" in value or "records" in value:
        if on_package:
            package = {k: v for k, v in value.items() if k not in ("releases", "records")}
            on_package(package, where)
        for key in ("releases", "records"):
            if key not in value:
                continue
            items = value[key]
            if not isinstance(items, list):
                yield _not_an_array(f"{prefix}{key}", key, items)
                continue
            for index, item in enumerate(items):
                yield _item(key, item, f"{prefix}{key}[{index}]")
    elif "ocid" in value:
        yield Found(where or "release", value)
    else:
        yield Found(
            where or "(document)",
            None,
            "not a release package, record package or release (no releases, records or ocid)",
            rule="not-ocds",
            base="(document)",
            document=True,
        )


def _not_an_array(where: str, key: str, value: Any) -> Found:
    return Found(
        where, None, "must be an array", rule="wrong-type", base=key, document=True, value=value
    )


def _item(key: str, item: Any, where: str) -> Found:
    if not isinstance(item, dict):
        return Found(
            where, None, "not a JSON object", rule="not-an-object", base=f"{key}[]", value=item
        )
    if key == "releases":
        return Found(where, item)
    return _record(item, where)


def _record(record: dict[str, Any], where: str) -> Found:
    ocid = record.get("ocid") if isinstance(record.get("ocid"), str) else None
    compiled = record.get("compiledRelease")
    if isinstance(compiled, dict):
        if "ocid" not in compiled and ocid is not None:
            compiled = {**compiled, "ocid": ocid}
        return Found(f"{where}.compiledRelease", compiled, base="records[].compiledRelease")
    notes: list[tuple[str, str, Any, str]] = []
    if compiled is not None:
        notes.append(("wrong-type", ".compiledRelease", compiled, "must be an object"))
    releases = record.get("releases")
    base = "records[]"
    if not isinstance(releases, list) or not releases:
        return Found(
            where,
            None,
            "has neither a compiledRelease nor releases to compile",
            rule="record-without-releases",
            base=base,
            ocid=ocid,
            notes=notes,
        )
    full = [r for r in releases if isinstance(r, dict) and "date" in r and "url" not in r]
    if not full:
        return Found(
            where,
            None,
            "has no compiledRelease and its releases are links: cannot compile",
            rule="record-links-only",
            base=base,
            ocid=ocid,
            notes=notes,
        )
    if len(full) != len(releases):
        notes.append(
            (
                "record-partly-linked",
                ".releases",
                len(releases) - len(full),
                "has no compiledRelease and some of its releases are links",
            )
        )
    try:
        with warnings.catch_warnings():
            # Repeated ids and the like: ocdsmerge merges them, as the findings say.
            warnings.simplefilter("ignore")
            compiled = _merger().create_compiled_release(full)
    except Exception as exc:  # ocdsmerge raises several kinds on malformed input
        return Found(
            f"{where}.releases",
            None,
            f"cannot be compiled ({exc})",
            rule="record-not-compiled",
            base=base,
            ocid=ocid,
            notes=notes,
        )
    if "ocid" not in compiled and ocid is not None:
        compiled["ocid"] = ocid
    notes.append(("record-compiled", ".releases", len(full), "compiled from its releases"))
    return Found(
        f"{where}.releases (compiled)",
        compiled,
        base="records[].releases (compiled)",
        ocid=ocid,
        notes=notes,
        record=where,
    )


@functools.cache
def _merger() -> Any:
    import ocdsmerge

    # The vendored official schema: ocdsmerge would otherwise download it.
    schema = json.loads((SCHEMA_DIR / "ocds" / "release-schema-1.1.4.json").read_text())
    return ocdsmerge.Merger(schema=schema)


# One JSON document (or several concatenated): streamed event by event with ijson, so that a
# release package of any size is read one release at a time.


def _documents(stream: IO[bytes], on_package: OnPackage | None = None) -> Iterator[Found]:
    events = ijson.basic_parse(stream, multiple_values=True, use_float=False)
    depth = 0
    document = 0
    top_key: str | None = None
    index = -1
    builder: ijson.ObjectBuilder | None = None  # the current release or record
    rest: ijson.ObjectBuilder | None = None  # the document without its releases/records
    saw_items = False
    skip_above: int | None = None
    where = ""
    try:
        for event, value in events:
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(where, f"nested deeper than {MAX_DEPTH} levels")
            elif event in ("end_map", "end_array"):
                depth -= 1

            if depth == 1 and event == "start_map" and rest is None:
                document += 1
                rest, top_key, saw_items = ijson.ObjectBuilder(), None, False
                where = f"document {document}" if document > 1 else ""
            if rest is None:  # a top-level scalar or array
                if depth == 0 or (depth == 1 and event == "start_array"):
                    yield Found(
                        f"document {document + 1}",
                        None,
                        "not a JSON object (a package)",
                        rule="not-an-object",
                        base="(document)",
                        document=True,
                    )
                    document += 1
                    if event == "start_array":
                        return
                continue

            if skip_above is not None:
                # Inside a value being skipped: "releases" that was not an array.
                if depth <= skip_above:
                    skip_above = None
                continue
            if top_key in ("releases", "records") and index == -2:
                # The value of "releases" or "records": it must be an array.
                if event == "start_array":
                    index = -1
                    continue
                yield _not_an_array(_prefix(document) + top_key, top_key, value)
                top_key = None
                if event == "start_map":
                    skip_above = 1
                continue
            if top_key in ("releases", "records") and (depth >= 2 or event == "end_array"):
                # Inside the array of releases or records.
                if depth == 1 and event == "end_array":
                    top_key = None
                    continue
                if builder is None:
                    index += 1
                    where = _prefix(document) + f"{top_key}[{index}]"
                    if event not in ("start_map", "start_array"):
                        yield _item(top_key, value, where)
                        continue
                    builder = ijson.ObjectBuilder()
                builder.event(event, value)
                if depth == 2 and event in ("end_map", "end_array"):
                    item = builder.value
                    builder = None
                    yield _item(top_key, item, where)
                continue

            if depth == 1 and event == "map_key" and value in ("releases", "records"):
                top_key, index, saw_items = value, -2, True
                rest.event("map_key", value)
                rest.event("null", None)
                continue
            rest.event(event, value)
            if depth == 0 and event == "end_map":
                doc = rest.value
                rest = None
                if saw_items:
                    if on_package and isinstance(doc, dict):
                        on_package(doc, _prefix(document).rstrip(": "))
                else:
                    yield from _unpack(doc, _prefix(document))
    except ijson.JSONError as exc:
        raise ReadError(where, f"not valid JSON ({_first_line(exc)})") from exc
    except UnicodeDecodeError as exc:
        raise ReadError(where, "not UTF-8") from exc
    except ValueError as exc:  # a number Python will not convert (limits.MAX_DIGITS stops most)
        raise ReadError(where, f"holds a number that cannot be read ({_first_line(exc)})") from exc
    if document == 0:
        raise ReadError("", "is empty: no JSON in it")


def _prefix(document: int) -> str:
    return f"document {document}: " if document > 1 else ""


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
