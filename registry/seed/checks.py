"""Cross-reference checks over schema-valid seed data: every key named exists, identifiers are
unique and well formed, dates run in order, and the GP practice counts add up. Each problem
names the file and the JSON path, like the schema errors."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from registry.identifiers import (
    NAME_PROBLEM,
    is_ods_code,
    normalise_companies_house_number,
    normalise_name,
)
from registry.seed.files import SeedData, SeedFile
from registry.seed.practices import codes as practice_codes


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _in_order(
    problems: list[str], where: str, pairs: list[tuple[str, str | None, str, str | None]]
) -> None:
    """Each (earlier name, earlier, later name, later): the later must not come first."""
    for first_name, first, second_name, second in pairs:
        a, b = _date(first), _date(second)
        if a is not None and b is not None and b < a:
            problems.append(f"{where}: {second_name} {second} is before {first_name} {first}")


def _duplicates(
    problems: list[str], file: SeedFile, items: list[Any], path: str, field: str, what: str
) -> None:
    counts = Counter(item.get(field) for item in items if item.get(field) is not None)
    for index, item in enumerate(items):
        value = item.get(field)
        if value is not None and counts[value] > 1:
            problems.append(f"{file.name}: $.{path}[{index}].{field}: duplicate {what} {value!r}")


def _names(problems: list[str], file: SeedFile, names: list[str], path: str) -> None:
    """Each name must give something to match its record by (the rule of record_name)."""
    for index, name in enumerate(names):
        if not normalise_name(name):
            problems.append(f"{file.name}: $.{path.format(index)}: {name!r}: {NAME_PROBLEM}")


def _suppliers(seed: SeedData, problems: list[str]) -> tuple[set[str], set[str]]:
    file = seed.suppliers
    groups, suppliers = file.data["groups"], file.data["suppliers"]
    _duplicates(problems, file, groups, "groups", "key", "group key")
    _duplicates(problems, file, groups, "groups", "name", "group name")
    _duplicates(problems, file, suppliers, "suppliers", "key", "supplier key")
    _duplicates(problems, file, suppliers, "suppliers", "companies_house_number", "number")
    _duplicates(problems, file, suppliers, "suppliers", "duns", "DUNS number")
    _names(problems, file, [s["name"] for s in suppliers], "suppliers[{}].name")
    group_keys = {g["key"] for g in groups}
    for kind, items in (("groups", groups), ("suppliers", suppliers)):
        for index, item in enumerate(items):
            number = item.get("companies_house_number")
            if number is not None and normalise_companies_house_number(number) != number:
                problems.append(
                    f"{file.name}: $.{kind}[{index}].companies_house_number: {number!r} is not "
                    "a Companies House number"
                )
    for index, supplier in enumerate(suppliers):
        if supplier["group"] not in group_keys:
            problems.append(
                f"{file.name}: $.suppliers[{index}].group: no group {supplier['group']!r}"
            )
    return group_keys, {s["key"] for s in suppliers}


def _buyers(seed: SeedData, problems: list[str]) -> set[str]:
    file = seed.buyers
    buyers = file.data["buyers"]
    _duplicates(problems, file, buyers, "buyers", "key", "buyer key")
    _names(problems, file, [b["name"] for b in buyers], "buyers[{}].name")
    seen: dict[tuple[str, str], int] = {}
    for index, buyer in enumerate(buyers):
        if "identifier" not in buyer:
            continue
        ident = (buyer["identifier_scheme"], buyer["identifier"])
        if ident in seen:
            problems.append(
                f"{file.name}: $.buyers[{index}].identifier: {ident[0]} {ident[1]} is also "
                f"buyer {seen[ident]}"
            )
        seen[ident] = index
        if ident[0] == "GB-NHS-ODS" and not is_ods_code(ident[1]):
            problems.append(f"{file.name}: $.buyers[{index}].identifier: not an ODS code")
    return {b["key"] for b in buyers}


def _frameworks(seed: SeedData, suppliers: set[str], problems: list[str]) -> dict[str, set[str]]:
    lots_by_framework: dict[str, set[str]] = {}
    references: dict[str, str] = {}
    for file in seed.frameworks:
        fw = file.data
        ref = fw["reference"]
        if ref in references:
            problems.append(f"{file.name}: $.reference: {ref!r} is also in {references[ref]}")
        references[ref] = file.name
        _in_order(
            problems,
            f"{file.name}: $",
            [
                ("start_date", fw.get("start_date"), "end_date", fw.get("end_date")),
                ("end_date", fw.get("end_date"), "extended_end_date", fw.get("extended_end_date")),
            ],
        )
        _duplicates(problems, file, fw["lots"], "lots", "number", "lot number")
        numbers = {lot["number"] for lot in fw["lots"]}
        lots_by_framework[ref] = numbers
        for li, lot in enumerate(fw["lots"]):
            where = f"lots[{li}].memberships"
            _duplicates(problems, file, lot["memberships"], where, "supplier", "supplier")
            for mi, member in enumerate(lot["memberships"]):
                path = f"{file.name}: $.{where}[{mi}]"
                if member["supplier"] not in suppliers:
                    problems.append(
                        f"{path}.supplier: no supplier {member['supplier']!r} in "
                        f"{seed.suppliers.name}"
                    )
                _in_order(
                    problems,
                    path,
                    [("start_date", member.get("start_date"), "end_date", member.get("end_date"))],
                )
        for oi, obligation in enumerate(fw["obligations"]):
            path = f"{file.name}: $.obligations[{oi}]"
            if "lot" in obligation and obligation["lot"] not in numbers:
                problems.append(f"{path}.lot: no lot {obligation['lot']!r} on {ref}")
            if "supplier" in obligation and obligation["supplier"] not in suppliers:
                problems.append(f"{path}.supplier: no supplier {obligation['supplier']!r}")
    return lots_by_framework


def _lot_reference(
    problems: list[str], path: str, item: dict[str, Any], lots: dict[str, set[str]]
) -> None:
    framework = item.get("framework")
    if framework is None:
        return
    if framework not in lots:
        problems.append(f"{path}.framework: no framework {framework!r} in the seed data")
    elif item["lot"] not in lots[framework]:
        problems.append(f"{path}.lot: no lot {item['lot']!r} on {framework}")


def _contracts(
    seed: SeedData,
    buyers: set[str],
    suppliers: set[str],
    lots: dict[str, set[str]],
    problems: list[str],
) -> None:
    file = seed.contracts
    contracts = file.data["contracts"]
    _duplicates(problems, file, contracts, "contracts", "key", "contract key")
    _duplicates(problems, file, contracts, "contracts", "reference", "reference")
    keys = {c["key"]: c for c in contracts}
    prefix = seed.practices.data["contracts"]["reference_prefix"]
    for index, contract in enumerate(contracts):
        path = f"{file.name}: $.contracts[{index}]"
        if contract["buyer"] not in buyers:
            problems.append(f"{path}.buyer: no buyer {contract['buyer']!r} in {seed.buyers.name}")
        if contract["supplier"] not in suppliers:
            problems.append(f"{path}.supplier: no supplier {contract['supplier']!r}")
        if contract["reference"].startswith(prefix):
            problems.append(
                f"{path}.reference: {prefix!r} is kept for the generated GP practice contracts"
            )
        _lot_reference(problems, path, contract, lots)
        pairs = [
            (
                "start_date",
                contract["start_date"],
                "original_end_date",
                contract["original_end_date"],
            )
        ]
        end_name, end = "original_end_date", contract["original_end_date"]
        for ei, extension in enumerate(contract.get("extensions", [])):
            pairs.append(
                (end_name, end, f"extensions[{ei}].new_end_date", extension["new_end_date"])
            )
            if extension["new_end_date"] == end:
                problems.append(f"{path}.extensions[{ei}].new_end_date: does not change the end")
            end_name, end = f"extensions[{ei}].new_end_date", extension["new_end_date"]
        _in_order(problems, path, pairs)
        predecessor = contract.get("predecessor")
        if predecessor is None:
            continue
        if predecessor not in keys:
            problems.append(f"{path}.predecessor: no contract {predecessor!r}")
            continue
        # Follow the chain back: it must end, not come round to this contract.
        seen, current = {contract["key"]}, predecessor
        while current is not None and current in keys:
            if current in seen:
                problems.append(f"{path}.predecessor: the chain of predecessors loops")
                break
            seen.add(current)
            current = keys[current].get("predecessor")


def _practices(
    seed: SeedData, suppliers: set[str], lots: dict[str, set[str]], problems: list[str]
) -> None:
    file = seed.practices
    spec = file.data
    total = spec["practices"]
    for part in ("systems", "regions"):
        counted = sum(item["practices"] for item in spec[part])
        if counted != total:
            problems.append(
                f"{file.name}: $.{part}: the practices add up to {counted}, not {total}"
            )
    _duplicates(problems, file, spec["systems"], "systems", "supplier", "supplier")
    # Every practice's name starts with a stem: usable stems make usable names.
    _names(problems, file, spec["name_stems"], "name_stems[{}]")
    _duplicates(problems, file, spec["regions"], "regions", "code_letter", "code letter")
    for index, system in enumerate(spec["systems"]):
        if system["supplier"] not in suppliers:
            problems.append(
                f"{file.name}: $.systems[{index}].supplier: no supplier {system['supplier']!r}"
            )
    largest = max(region["practices"] for region in spec["regions"])
    if spec["code_numbers_from"] + largest - 1 > 99999:
        problems.append(
            f"{file.name}: $.code_numbers_from: too high for {largest} five-digit codes in a region"
        )
    contracts = spec["contracts"]
    _lot_reference(problems, f"{file.name}: $.contracts", contracts, lots)
    _in_order(
        problems,
        f"{file.name}: $.contracts",
        [
            ("start_from", contracts["start_from"], "start_to", contracts["start_to"]),
            ("start_to", contracts["start_to"], "end_date", contracts["end_date"]),
        ],
    )
    if contracts["value_min"] > contracts["value_max"]:
        problems.append(f"{file.name}: $.contracts.value_max: less than value_min")
    scheme = spec["identifier_scheme"]
    taken = {
        b["identifier"] for b in seed.buyers.data["buyers"] if b.get("identifier_scheme") == scheme
    }
    for code in sorted(taken & practice_codes(spec)):
        problems.append(f"{file.name}: generated code {code} is also a buyer in {seed.buyers.name}")


def check_references(seed: SeedData) -> list[str]:
    """Every problem in how the seed files refer to each other; empty when they are consistent."""
    problems: list[str] = []
    _, suppliers = _suppliers(seed, problems)
    buyers = _buyers(seed, problems)
    lots = _frameworks(seed, suppliers, problems)
    _contracts(seed, buyers, suppliers, lots, problems)
    _practices(seed, suppliers, lots, problems)
    return problems
