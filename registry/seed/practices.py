"""The GP practices, generated from the small spec in seed_data/gp_practices.json.

Only the split by principal clinical system is a public fact (GPSoC, August 2016); the practices'
names, codes, regions, start dates and values are illustrative. Generation uses its own seeded
generator and only `random()`, so the same spec gives the same practices on every machine.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

# A prime step through the name combinations: consecutive practices in a region get unlike names.
_NAME_STRIDE = 7919


@dataclasses.dataclass(frozen=True)
class Practice:
    code: str
    name: str
    region: str
    supplier: str  # supplier key
    system: str
    start_date: datetime.date
    value: Decimal


def _shuffled(items: list[T], rng: random.Random) -> list[T]:
    # Fisher-Yates on rng.random() alone: stable across Python versions, unlike random.shuffle.
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def _expand(entries: Sequence[dict[str, Any]]) -> list[int]:
    return [index for index, entry in enumerate(entries) for _ in range(entry["practices"])]


def generate(spec: dict[str, Any]) -> list[Practice]:
    """The practices the spec describes (it has been checked: the counts add up)."""
    rng = random.Random(spec["random_seed"])  # noqa: S311 - illustrative data, not security
    regions = spec["regions"]
    systems = spec["systems"]
    region_order = _shuffled(_expand(regions), rng)
    system_order = _shuffled(_expand(systems), rng)
    contracts = spec["contracts"]
    first = datetime.date.fromisoformat(contracts["start_from"])
    days = (datetime.date.fromisoformat(contracts["start_to"]) - first).days
    step = Decimal(str(contracts["value_step"]))
    low = Decimal(str(contracts["value_min"]))
    steps = int((Decimal(str(contracts["value_max"])) - low) / step)
    stems, suffixes = spec["name_stems"], spec["name_suffixes"]
    seen = [0] * len(regions)
    practices = []
    for region_index, system_index in zip(region_order, system_order, strict=True):
        region, system = regions[region_index], systems[system_index]
        n = seen[region_index]
        seen[region_index] += 1
        places = region["places"]
        combination = (n * _NAME_STRIDE) % (len(stems) * len(suffixes) * len(places))
        stem = stems[combination % len(stems)]
        suffix = suffixes[(combination // len(stems)) % len(suffixes)]
        place = places[combination // (len(stems) * len(suffixes))]
        practices.append(
            Practice(
                code=f"{region['code_letter']}{spec['code_numbers_from'] + n:05d}",
                name=f"{stem} {suffix}, {place}",
                region=region["name"],
                supplier=system["supplier"],
                system=system["system"],
                start_date=first + datetime.timedelta(days=int(rng.random() * (days + 1))),
                value=low + step * int(rng.random() * (steps + 1)),
            )
        )
    return practices


def codes(spec: dict[str, Any]) -> set[str]:
    """The ODS-style codes generation will use, without generating the practices."""
    return {
        f"{region['code_letter']}{spec['code_numbers_from'] + n:05d}"
        for region in spec["regions"]
        for n in range(region["practices"])
    }
