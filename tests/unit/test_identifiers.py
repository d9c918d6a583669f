from __future__ import annotations

import pytest

from registry.identifiers import (
    is_cpv_code,
    is_duns,
    is_ods_code,
    normalise_companies_house_number,
    normalise_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("sc123456", "SC123456"),
        ("OC 301234", "OC301234"),
        ("ZZ123456", None),
        ("123456789", None),
        ("ABCDEFGH", None),
        ("", None),
    ],
)
def test_companies_house_numbers(raw: str, expected: str | None) -> None:
    assert normalise_companies_house_number(raw) == expected


def test_other_identifiers() -> None:
    assert is_duns("123456789") and not is_duns("12345678")
    assert is_ods_code("A81001") and not is_ods_code("A8-1001")
    assert is_cpv_code("48000000") and is_cpv_code("48180000-3") and not is_cpv_code("4800")


def test_names_match_across_legal_forms_and_case() -> None:
    assert (
        normalise_name("EMIS Health Ltd") == normalise_name("EMIS HEALTH LIMITED") == "emis health"
    )
    assert normalise_name("The Phoenix Partnership (Leeds) Ltd") == "phoenix partnership leeds"
    assert normalise_name("Café & Co") == "cafe and"
