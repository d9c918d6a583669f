"""The bad-input corpus: the values fed to every form field, URL number and query parameter."""

from __future__ import annotations

SCRIPT = "<script>alert(1)</script>"
# Numbers a URL, a query or a form may carry that no record can have: a digit str.isdigit()
# accepts and int() refuses, one past a PostgreSQL INTEGER id, past 64 bits, and 5,000 digits
# (more than int() will read).
BAD_NUMBERS: dict[str, str] = {
    "unicode_digit": "\u00b2",
    "arabic_indic": "\u0663",
    "past_int32": str(2**31),
    "past_int64": "99999999999999999999999",
    "5000_digits": "9" * 5000,
}
BAD_VALUES: dict[str, str | bytes] = {
    "empty": "",
    "overlong": "x" * 100_000,
    "wrong_type": "abc",
    "sql": "'; DROP TABLE users; --",
    "script": SCRIPT,
    "non_utf8": b"\xff\xfe\xfa\xc3\x28",
    # The 5,000 digits too: as an uploaded OCDS file they once crashed the process in ijson's C
    # backend (int() refuses them inside its callback); the reader now refuses them first.
    **{f"number_{kind}": v for kind, v in BAD_NUMBERS.items()},
}

# Numbers no numeric field of the registry takes, whatever its column: past any column, below any
# floor, and the values a decimal parser reads but no database column holds (issue 19).
OUT_OF_RANGE: dict[str, str] = {
    "ten_to_the_20": "1" + "0" * 20,
    "400_digits": "9" * 400,
    "minus_ten_to_the_20": "-1" + "0" * 20,
    "nan": "NaN",
    "infinity": "Infinity",
    "minus_infinity": "-Infinity",
}
# Below the floor of every count, amount and weight (a KPI target or a measure may be negative).
NEGATIVE = "-1"
# Dates no calendar has, or written another way than YYYY-MM-DD.
BAD_DATES: dict[str, str] = {
    "30_february": "2026-02-30",
    "year_0": "0000-01-01",
    "year_99999": "99999-01-01",
    "day_first": "31/12/2026",
}
