"""Cleaning a release as it is read: every part the registry uses that breaks the OCDS schema is
reported as a finding (registry.opendata.findings) and removed or normalised, so that mapping
always receives a structurally valid release.

The rules, in short: an empty string is a missing value; a value of the wrong JSON type, a date
that is not one, a currency that is not an ISO 4217 code, an amount that is negative, not finite
or too large, are removed (no guessing: "three" tenderers is not 3); an award or contract
without an id gets one derived from its place, a release without an id one derived from its
content; a release without a usable ocid cannot be interpreted and is skipped. Fields the
registry does not read (extensions, addresses…) are left as published.

The checks are plain Python, walking only the fields the registry reads, rather than a JSON
Schema validator run per release: they run on every release of files with millions.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from decimal import Decimal
from math import isfinite
from typing import Any

# Contract values are stored as NUMERIC(18, 2).
MAX_AMOUNT = Decimal(10) ** 16
MAX_KEY_LENGTH = 190  # a release id, kept in a 200-character column
MAX_OCID_LENGTH = 160  # with an award id it makes the contract reference, 200 characters
MAX_REFERENCE = 190

# rule, path within the release (".awards[0].value.amount", with positions), value, message
Report = Callable[[str, str, Any, str], None]


def parse_datetime(value: Any) -> datetime.datetime | None:
    """An ISO 8601 date or date-time as UTC, or None when it is not one."""
    if not isinstance(value, str) or len(value) < 10 or len(value) > 40:
        return None
    return _parse_datetime(value)


# Releases repeat the same dates (a day's awards, a period's ends): each is parsed once.
@functools.lru_cache(maxsize=1 << 16)
def _parse_datetime(value: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


# Each kind of field: keep the value (cleaned in place) or return _DROP, having reported why.
_DROP = object()
Kind = Callable[[Any, Report, str, str], Any]  # value, report, parent's path, key
Spec = dict[str, Kind]


def _blank(value: Any) -> bool:
    return type(value) is str and (not value or value.isspace())


def _wrong(value: Any, report: Report, path: str, wanted: str) -> Any:
    """Report a value of the wrong type (or an empty string) at `path`; drop it."""
    if _blank(value):
        report("empty-string", path, value, "is an empty string")
    else:
        report("wrong-type", path, value, f"must be {wanted}, not {_show(value)}")
    return _DROP


def _bad(report: Report, rule: str, path: str, value: Any, message: str) -> Any:
    report(rule, path, value, message)
    return _DROP


def _text(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is str and value and not value.isspace():
        return value
    return _wrong(value, report, f"{parent}.{key}", "a string")


def _ident(value: Any, report: Report, parent: str, key: str) -> Any:
    """OCDS ids are strings or integers."""
    kind = type(value)
    if (kind is str and value and not value.isspace()) or kind is int:
        return value
    return _wrong(value, report, f"{parent}.{key}", "a string or an integer")


def _count(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is int and value >= 0:
        return value
    return _wrong(value, report, f"{parent}.{key}", "a whole number ≥ 0")


def _number(value: Any, report: Report, parent: str, key: str) -> Any:
    kind = type(value)
    if (
        kind is int
        or (kind is Decimal and value.is_finite())
        or (kind is float and isfinite(value))
    ):
        return value
    return _wrong(value, report, f"{parent}.{key}", "a number")


def _flag(value: Any, report: Report, parent: str, key: str) -> Any:
    return (
        value if type(value) is bool else _wrong(value, report, f"{parent}.{key}", "true or false")
    )


def _date(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is str:
        if parse_datetime(value) is not None:
            return value
        if value and not value.isspace():
            message = f"must be an ISO 8601 date-time, not {_show(value)}"
            return _bad(report, "invalid-date", f"{parent}.{key}", value, message)
    return _wrong(value, report, f"{parent}.{key}", "an ISO 8601 date-time")


def _strings(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is not list:
        return _wrong(value, report, f"{parent}.{key}", "an array of strings")
    if all(type(item) is str and item for item in value):
        return value
    for index, item in enumerate(value):
        if not (type(item) is str and item):
            _wrong(item, report, f"{parent}.{key}[{index}]", "a string")
    value[:] = [item for item in value if type(item) is str and item]
    return value


def _amount(value: Any, report: Report, parent: str, key: str) -> Any:
    kind = type(value)
    if kind is int or kind is Decimal or kind is float:
        try:
            usable = 0 <= value < MAX_AMOUNT
        except ArithmeticError:  # Decimal NaN
            usable = False
        if usable:
            return value
        message = f"is not a finite number below 10^16 and ≥ 0: {_show(value)}"
        return _bad(report, "invalid-amount", f"{parent}.{key}", value, message)
    return _wrong(value, report, f"{parent}.{key}", "a number")


def _currency(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is str and len(value) == 3 and value.isascii() and value.isalpha():
        return value
    if _blank(value):
        return _wrong(value, report, f"{parent}.{key}", "")
    message = f"must be a 3-letter ISO 4217 code, not {_show(value)}"
    return _bad(report, "invalid-currency", f"{parent}.{key}", value, message)


def _clean(obj: dict[str, Any], spec: Spec, path: str, report: Report) -> None:
    """Clean the fields of `obj` that `spec` names, in place; others are left as published."""
    dropped = None
    for key, value in obj.items():
        kind = spec.get(key)
        if kind is None or value is None:
            continue
        if kind(value, report, path, key) is _DROP:
            if dropped is None:
                dropped = [key]
            else:
                dropped.append(key)
    if dropped:
        for key in dropped:
            del obj[key]


def _object(spec: Spec) -> Kind:
    def kind(value: Any, report: Report, parent: str, key: str) -> Any:
        if type(value) is not dict:
            return _wrong(value, report, f"{parent}.{key}", "an object")
        _clean(value, spec, f"{parent}.{key}", report)
        return value

    return kind


def _array(spec: Spec) -> Kind:
    def kind(value: Any, report: Report, parent: str, key: str) -> Any:
        path = f"{parent}.{key}"
        if type(value) is not list:
            return _wrong(value, report, path, "an array")
        bad = False
        for index, item in enumerate(value):
            if type(item) is dict:
                _clean(item, spec, f"{path}[{index}]", report)
            else:
                _wrong(item, report, f"{path}[{index}]", "an object")
                bad = True
        if bad:
            value[:] = [item for item in value if type(item) is dict]
        return value

    return kind


def _period(value: Any, report: Report, parent: str, key: str) -> Any:
    if type(value) is not dict:
        return _wrong(value, report, f"{parent}.{key}", "an object")
    path = f"{parent}.{key}"
    dates: list[datetime.datetime | None] = []
    for name in ("startDate", "endDate", "maxExtentDate"):
        date = value.get(name)
        if date is None:
            dates.append(None)
            continue
        parsed = parse_datetime(date)
        if parsed is None:
            _date(date, report, path, name)
            del value[name]
        dates.append(parsed)
    start, end, _ = dates
    if start and end and end < start:
        report("period-order", f"{path}.endDate", value["endDate"], "ends before it starts")
    return value


_value = _object({"amount": _amount, "currency": _currency})
IDENTIFIER: Spec = {"scheme": _text, "id": _ident, "legalName": _text}
ORGANISATION: Spec = {
    "id": _ident,
    "name": _text,
    "identifier": _object(IDENTIFIER),
    "additionalIdentifiers": _array(IDENTIFIER),
}
PARTY: Spec = {**ORGANISATION, "roles": _strings}
CLASSIFICATION: Spec = {"scheme": _text, "id": _ident, "description": _text}
ITEM: Spec = {
    "id": _ident,
    "description": _text,
    "classification": _object(CLASSIFICATION),
    "additionalClassifications": _array(CLASSIFICATION),
    "quantity": _number,
    "unit": _object({"name": _text, "value": _value}),
}
_items = _array(ITEM)
TENDER: Spec = {
    "id": _ident,
    "title": _text,
    "description": _text,
    "status": _text,
    "procurementMethod": _text,
    "procurementMethodDetails": _text,
    "procurementMethodRationale": _text,
    "mainProcurementCategory": _text,
    "numberOfTenderers": _count,
    "value": _value,
    "minValue": _value,
    "classification": _object(CLASSIFICATION),
    "items": _items,
    "tenderPeriod": _period,
    "awardPeriod": _period,
    "contractPeriod": _period,
    "procuringEntity": _object(ORGANISATION),
    "tenderers": _array(ORGANISATION),
    "techniques": _object({"hasFrameworkAgreement": _flag}),
}
AWARD: Spec = {  # "id" is handled with the other awards' ids
    "title": _text,
    "description": _text,
    "status": _text,
    "date": _date,
    "value": _value,
    "suppliers": _array(ORGANISATION),
    "items": _items,
    "contractPeriod": _period,
}
CONTRACT: Spec = {
    "awardID": _ident,
    "title": _text,
    "description": _text,
    "status": _text,
    "value": _value,
    "period": _period,
    "dateSigned": _date,
    "items": _items,
    "amendments": _array({"id": _ident, "date": _date, "rationale": _text, "description": _text}),
}
RELEASE: Spec = {  # "ocid", "id" and "date" are handled first
    "tag": _strings,
    "initiationType": _text,
    "language": _text,
    "buyer": _object(ORGANISATION),
    "parties": _array(PARTY),
    "tender": _object(TENDER),
    "awards": _array(AWARD),
    "contracts": _array(CONTRACT),
}


def _key_fault(value: Any, longest: int) -> str | None:
    """What makes an ocid or a release id unusable as a key, or None when it is usable."""
    if type(value) is str and value and not value.isspace() and len(value) <= longest:
        return None
    if value is None:
        return "is missing"
    if _blank(value):
        return "must not be empty"
    if type(value) is str:
        return f"is longer than {longest} characters"
    return f"must be a string, not {_show(value)}"


def clean_release(release: dict[str, Any], report: Report, digest: str) -> str | None:
    """Clean the release in place. None when it can be used, else why it cannot (skipped).

    `digest` is the hash of the release as published: a missing id is derived from it, so the
    same release gets the same id on every import."""
    ocid: Any = release.get("ocid")
    fault = _key_fault(ocid, MAX_OCID_LENGTH)
    if fault is not None:
        report("missing-ocid", ".ocid", ocid, fault)
        return "no usable ocid"
    release_id = release.get("id")
    fault = _key_fault(release_id, MAX_KEY_LENGTH)
    if fault is not None:
        report("missing-release-id", ".id", release_id, fault)
        release["id"] = f"derived-{digest[:16]}"
    date = release.get("date")
    if date is None:
        report("missing-release-date", ".date", None, "is missing")
    elif _date(date, report, "", "date") is _DROP:
        del release["date"]
    _clean(release, RELEASE, "", report)
    _derive_ids(release.get("awards"), "awards", "award", ocid, report)
    _derive_ids(release.get("contracts"), "contracts", "contract", ocid, report)
    return None


def _derive_ids(
    blocks: list[dict[str, Any]] | None, key: str, name: str, ocid: str, report: Report
) -> None:
    """Give each award (or contract) without a usable id one derived from its place: the same
    on every import of the same file. One whose id repeats an earlier one's is the same award
    told twice (as compiling reads it): merged into the first, its own values winning."""
    if not blocks:
        return
    room = MAX_REFERENCE - len(ocid)
    seen: dict[str, dict[str, Any]] = {}
    repeats = []
    for index, block in enumerate(blocks):
        value = block.get("id")
        kind = type(value)
        if (kind is str and value and not value.isspace()) or kind is int:
            text = str(value)
            if text in seen:
                report(f"repeated-{name}-id", f".{key}[{index}].id", value, "repeats another's id")
                seen[text].update(block)
                repeats.append(index)
                continue
            if len(text) <= room:
                seen[text] = block
                continue
            message = "is too long"
        else:
            message = "is missing" if value is None else f"must be a string, not {_show(value)}"
        derived = f"derived-{name}-{index + 1}"
        while derived in seen:
            derived += "x"
        seen[derived] = block
        block["id"] = derived
        report(f"derived-{name}-id", f".{key}[{index}].id", value, message)
    if repeats:
        blocks[:] = [block for index, block in enumerate(blocks) if index not in repeats]


def clean_package(package: dict[str, Any], report: Report) -> None:
    """Package metadata of the wrong type or form: a finding, and not used."""
    version = package.get("version")
    if version is not None and type(version) is not str:
        report(
            "package-metadata",
            ".version",
            version,
            f'must be a string such as "1.1", not {_show(version)}',
        )
    publisher = package.get("publisher")
    if publisher is not None and type(publisher) is not dict:
        report("package-metadata", ".publisher", publisher, "must be an object with a name")
    published = package.get("publishedDate")
    if published is not None and parse_datetime(published) is None:
        report(
            "package-metadata",
            ".publishedDate",
            published,
            f"must be an ISO 8601 date-time, not {_show(published)}",
        )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    return "null"


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return _kind(value)
