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
