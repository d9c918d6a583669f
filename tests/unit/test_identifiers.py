from __future__ import annotations

import pytest

from registry.identifiers import (
    UnusableName,
    is_cpv_code,
    is_duns,
    is_ods_code,
    normalise_companies_house_number,
    normalise_name,
    record_name,
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


def test_names_in_another_script_keep_their_letters() -> None:
    # Dropping them would make every such name the same (empty) key.
    assert normalise_name('ЧП "ОКСИМЕД"') == normalise_name("чп «Оксимед»") == "чп оксимед"
    assert normalise_name("Արմենիա ՍՊԸ") == "արմենիա սպը"
    # A name with ASCII letters keeps the ASCII rule, as recorded before.
    assert normalise_name("Արմենիա Alpha Ltd") == "alpha"


@pytest.mark.parametrize("name", ["Ltd", "The Company Limited", "- -", "...", "UK plc", "  "])
def test_a_name_that_normalises_to_nothing_is_unusable(name: str) -> None:
    with pytest.raises(UnusableName):
        record_name(name)
    assert record_name(name, refuse=False).key == ""


def test_record_name_folds_spaces_and_keys_by_normalise_name() -> None:
    recorded = record_name("  EMIS   Health\tLtd ")
    assert (recorded.name, recorded.key) == ("EMIS Health Ltd", "emis health")
