"""The structure the importer needs from a release: a subset of OCDS 1.0/1.1, checked strictly.

A release that breaks it makes the whole file invalid. Checks are plain Python rather than a
JSON Schema validator run per release, because they run on every release of files with millions.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from typing import Any

# Contract values are stored as NUMERIC(18, 2).
MAX_AMOUNT = Decimal(10) ** 16
MAX_KEY_LENGTH = 190  # ocid and ids make the contract reference, a 200-character column


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


class Checker:
    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(
            f"{self.where}.{path}: {message}" if path else f"{self.where}: {message}"
        )

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return None
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, "must be an array")
            return []
        return value

    def string(self, value: Any, path: str, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(path, "is missing")
        elif not isinstance(value, str):
            self.add(path, f"must be a string, not {_kind(value)}")
        elif required and not value.strip():
            self.add(path, "must not be empty")

    def identifier(self, value: Any, path: str, *, required: bool = False) -> None:
        """OCDS ids are strings or integers."""
        if value is None:
            if required:
                self.add(path, "is missing")
        elif isinstance(value, bool) or not isinstance(value, str | int):
            self.add(path, f"must be a string or an integer, not {_kind(value)}")
        elif len(str(value)) > MAX_KEY_LENGTH:
            self.add(path, f"is longer than {MAX_KEY_LENGTH} characters")
        elif required and not str(value).strip():
            self.add(path, "must not be empty")

    def date(self, value: Any, path: str) -> datetime.datetime | None:
        if value is None:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            self.add(path, f"must be an ISO 8601 date-time, not {_show(value)}")
        return parsed

    def value(self, value: Any, path: str) -> None:
        value = self.obj(value, path)
        if value is None:
            return
        amount = value.get("amount")
        if amount is not None:
            if not is_number(amount):
                self.add(f"{path}.amount", f"must be a number, not {_show(amount)}")
            elif not (Decimal(amount).is_finite() and abs(Decimal(amount)) < MAX_AMOUNT):
                self.add(f"{path}.amount", f"is not a finite number below 10^16: {_show(amount)}")
            elif amount < 0:
                self.add(f"{path}.amount", f"must not be negative: {_show(amount)}")
        currency = value.get("currency")
        if currency is not None and not (
            isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
        ):
            self.add(f"{path}.currency", f"must be a 3-letter ISO 4217 code, not {_show(currency)}")

    def period(self, value: Any, path: str) -> None:
        value = self.obj(value, path)
        if value is None:
            return
        # An end before the start is a data-quality matter (real publishers have it), not a
        # structural one: it is imported as published.
        self.date(value.get("startDate"), f"{path}.startDate")
        self.date(value.get("endDate"), f"{path}.endDate")

    def organisation(self, value: Any, path: str) -> None:
        value = self.obj(value, path)
        if value is None:
            return
        self.identifier(value.get("id"), f"{path}.id")
        self.string(value.get("name"), f"{path}.name")
        identifier = self.obj(value.get("identifier"), f"{path}.identifier")
        if identifier is not None:
            self.string(identifier.get("scheme"), f"{path}.identifier.scheme")
            self.identifier(identifier.get("id"), f"{path}.identifier.id")


def check_release(release: dict[str, Any], where: str) -> list[str]:
    """Every problem with the release's structure, each naming its JSON path."""
    c = Checker(where)
    c.string(release.get("ocid"), "ocid", required=True)
    ocid = release.get("ocid")
    if isinstance(ocid, str) and len(ocid) > MAX_KEY_LENGTH:
        c.add("ocid", f"is longer than {MAX_KEY_LENGTH} characters")
    release_id = release.get("id")
    c.string(release_id, "id", required=True)
    if isinstance(release_id, str) and len(release_id) > MAX_KEY_LENGTH:
        c.add("id", f"is longer than {MAX_KEY_LENGTH} characters")
    if release.get("date") is None:
        c.add("date", "is missing")
    c.date(release.get("date"), "date")
    tags = release.get("tag")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        c.add("tag", "must be an array of strings")
    c.organisation(release.get("buyer"), "buyer")
    for i, party in enumerate(c.array(release.get("parties"), "parties")):
        c.organisation(party, f"parties[{i}]")
        if isinstance(party, dict):
            roles = party.get("roles")
            if roles is not None and not (
                isinstance(roles, list) and all(isinstance(r, str) for r in roles)
            ):
                c.add(f"parties[{i}].roles", "must be an array of strings")
    tender = c.obj(release.get("tender"), "tender")
    if tender is not None:
        c.string(tender.get("title"), "tender.title")
        c.string(tender.get("procurementMethod"), "tender.procurementMethod")
        tenderers = tender.get("numberOfTenderers")
        if tenderers is not None and (
            isinstance(tenderers, bool) or not isinstance(tenderers, int) or tenderers < 0
        ):
            c.add("tender.numberOfTenderers", f"must be a whole number ≥ 0, not {_show(tenderers)}")
        c.value(tender.get("value"), "tender.value")
        classification = c.obj(tender.get("classification"), "tender.classification")
        if classification is not None:
            c.identifier(classification.get("id"), "tender.classification.id")
    for i, award in enumerate(c.array(release.get("awards"), "awards")):
        path = f"awards[{i}]"
        award = c.obj(award, path)
        if award is None:
            continue
        c.identifier(award.get("id"), f"{path}.id", required=True)
        c.string(award.get("title"), f"{path}.title")
        c.string(award.get("status"), f"{path}.status")
        c.date(award.get("date"), f"{path}.date")
        c.value(award.get("value"), f"{path}.value")
        c.period(award.get("contractPeriod"), f"{path}.contractPeriod")
        for j, supplier in enumerate(c.array(award.get("suppliers"), f"{path}.suppliers")):
            c.organisation(supplier, f"{path}.suppliers[{j}]")
    for i, contract in enumerate(c.array(release.get("contracts"), "contracts")):
        path = f"contracts[{i}]"
        contract = c.obj(contract, path)
        if contract is None:
            continue
        c.identifier(contract.get("id"), f"{path}.id", required=True)
        c.identifier(contract.get("awardID"), f"{path}.awardID")
        c.string(contract.get("status"), f"{path}.status")
        c.value(contract.get("value"), f"{path}.value")
        c.period(contract.get("period"), f"{path}.period")
        c.date(contract.get("dateSigned"), f"{path}.dateSigned")
        for j, amendment in enumerate(c.array(contract.get("amendments"), f"{path}.amendments")):
            amendment = c.obj(amendment, f"{path}.amendments[{j}]")
            if amendment is not None:
                c.date(amendment.get("date"), f"{path}.amendments[{j}].date")
                c.string(amendment.get("rationale"), f"{path}.amendments[{j}].rationale")
    return c.problems


def check_package(package: dict[str, Any]) -> list[str]:
    c = Checker("package")
    version = package.get("version")
    if version is not None and not isinstance(version, str):
        c.add("version", f'must be a string such as "1.1", not {_show(version)}')
    publisher = package.get("publisher")
    if publisher is not None and not isinstance(publisher, dict):
        c.add("publisher", "must be an object with a name")
    c.date(package.get("publishedDate"), "publishedDate")
    return c.problems


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
