"""The GP practices are generated the same every time, in the spec's exact numbers."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from decimal import Decimal

from registry.identifiers import is_ods_code
from registry.seed import read_seed_data
from registry.seed.practices import codes, generate


def test_generation_is_deterministic_and_exact() -> None:
    spec = read_seed_data().practices.data
    practices = generate(spec)
    assert generate(spec) == practices
    assert len(practices) == 7526
    assert Counter(p.supplier for p in practices) == {
        "emis": 4215,
        "tpp": 2559,
        "inps": 677,
        "microtest": 75,
    }
    assert Counter(p.system for p in practices)["SystmOne"] == 2559
    assert Counter(p.region for p in practices) == {
        r["name"]: r["practices"] for r in spec["regions"]
    }


def test_codes_are_unique_ods_style_and_known_in_advance() -> None:
    spec = read_seed_data().practices.data
    practices = generate(spec)
    generated = [p.code for p in practices]
    assert len(set(generated)) == len(generated)
    assert all(re.fullmatch(r"[A-Z]\d{5}", c) and is_ods_code(c) for c in generated)
    assert codes(spec) == set(generated)
    letters = {r["name"]: r["code_letter"] for r in spec["regions"]}
    assert all(p.code[0] == letters[p.region] for p in practices)


def test_dates_and_values_stay_within_the_spec() -> None:
    spec = read_seed_data().practices.data
    terms = spec["contracts"]
    practices = generate(spec)
    first = datetime.date.fromisoformat(terms["start_from"])
    last = datetime.date.fromisoformat(terms["start_to"])
    assert all(first <= p.start_date <= last for p in practices)
    # Spread over the term, not bunched at one end.
    assert len({p.start_date.year for p in practices}) == last.year - first.year + 1
    step = Decimal(str(terms["value_step"]))
    assert all(terms["value_min"] <= p.value <= terms["value_max"] for p in practices)
    assert all(p.value % step == 0 for p in practices)


def test_a_different_seed_gives_different_practices_with_the_same_totals() -> None:
    spec = dict(read_seed_data().practices.data, random_seed=1)
    practices = generate(spec)
    assert practices != generate(read_seed_data().practices.data)
    assert Counter(p.supplier for p in practices)["emis"] == 4215
